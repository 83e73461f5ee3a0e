import fc from 'fast-check';
import { v5 } from 'uuid';
import { uuidNamespace, uuidV5 } from './uuid-v5';

const NAMESPACE = '0f5b3f0e-5c7e-4a43-9a55-8d2f3c1e9b21';

describe('uuidV5', () => {
  it('computes what the uuid package computes, for any name and namespace', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.uuid(), (name, namespace) => {
        expect(uuidV5(name, uuidNamespace(namespace))).toBe(v5(name, namespace));
      }),
    );
  });

  it('computes it for names longer than any before them (up to a few KB of UTF-8)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 200, maxLength: 1500 }), (name) => {
        expect(uuidV5(name, uuidNamespace(NAMESPACE))).toBe(v5(name, NAMESPACE));
      }),
    );
  });
});
