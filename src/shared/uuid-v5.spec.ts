import fc from 'fast-check';
import { v5 } from 'uuid';
import { uuidNamespace, uuidV5 } from './uuid-v5';

describe('uuidV5', () => {
  it('computes what the uuid package computes, for any name and namespace', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.uuid(), (name, namespace) => {
        expect(uuidV5(name, uuidNamespace(namespace))).toBe(v5(name, namespace));
      }),
    );
  });
});
