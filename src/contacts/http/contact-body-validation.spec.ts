import 'reflect-metadata';
import { type ArgumentMetadata, type Type, ValidationPipe } from '@nestjs/common';
import { intercomValidationPipe } from '../../shared/http/validation.pipe';
import { acceptsPlainly, plainAcceptanceOf } from '../../shared/http/plain-body-acceptance';
import { isOwnerId } from '../domain/contact.attributes';
import {
  CreateContactDto,
  ListContactsQueryDto,
  MergeContactsDto,
  UpdateContactDto,
} from './contact.dto';

/**
 * The validation pipe answers a plainly valid contact body without class-validator: it must
 * accept exactly what class-validator accepts among such bodies, and build the same DTO.
 */
describe('contact bodies: the plain path agrees with class-validator', () => {
  const pipe = intercomValidationPipe();
  const body = (metatype: Type): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });

  /** The full path: class-transformer and class-validator, whatever the plain path would say. */
  const fullPath = async (metatype: Type, value: unknown) => {
    try {
      const dto = (await ValidationPipe.prototype.transform.call(
        pipe,
        structuredClone(value),
        body(metatype),
      )) as object;
      return { ok: true, dto: { ...dto } };
    } catch (error) {
      return { ok: false, error };
    }
  };

  const values: readonly unknown[] = [
    undefined,
    null,
    'a',
    '',
    'x'.repeat(255),
    'x'.repeat(256),
    '😀'.repeat(200),
    'x'.repeat(2048),
    'x'.repeat(2049),
    0,
    -1,
    1.5,
    1_700_000_000,
    true,
    false,
    'user',
    'lead',
    'visitor',
    'ada@example.com',
    ' ada@example.com',
    'a@b@example.com',
    'https://example.com/a.png',
    'javascript:alert(1)',
    ' https://example.com/a.png',
    'https://example.com/a b.png',
    'http://',
    '42',
    '0',
    '0123',
    '00',
    '9'.repeat(16),
    Number.MAX_SAFE_INTEGER + 1,
    253_402_300_799,
    253_402_300_800,
    1e308,
    {},
    { plan: 'gold', seats: 3, nested: { list: [1, 'a', null] } },
    { constructor: 'x' },
    { deep: { prototype: 1 } },
    [],
    ['a'],
  ];
  const fields = [
    'role',
    'external_id',
    'email',
    'email_verified',
    'phone',
    'name',
    'avatar',
    'signed_up_at',
    'last_seen_at',
    'owner_id',
    'unsubscribed_from_emails',
    'language_override',
    'custom_attributes',
    'from',
    'into',
    'unknown_field',
  ];
  const bodies: unknown[] = [
    {},
    [],
    null,
    'text',
    { email: 'a@example.com', role: 'user', name: 'A' },
    {
      external_id: 'x',
      owner_id: 7,
      custom_attributes: { plan: 'gold' },
      unsubscribed_from_emails: false,
    },
    { from: 'a', into: 'b' },
    ...fields.flatMap((field) => values.map((value) => ({ [field]: value }))),
    ...values.flatMap((value) => [
      { from: value, into: 'b' },
      { from: 'a', into: value },
    ]),
  ];

  it.each([CreateContactDto, UpdateContactDto, MergeContactsDto])(
    '%p: a body taken plainly is one class-validator takes, as the same DTO',
    async (metatype) => {
      const acceptance = plainAcceptanceOf(metatype);
      expect(acceptance).toBeDefined();
      let plain = 0;
      for (const value of bodies) {
        if (!acceptsPlainly(acceptance!, value)) continue;
        plain += 1;
        const full = await fullPath(metatype, value);
        expect({ value, ok: full.ok }).toEqual({ value, ok: true });
        const fast = (await pipe.transform(structuredClone(value), body(metatype))) as object;
        expect(fast).toBeInstanceOf(metatype);
        expect({ ...fast }).toEqual(full.dto);
      }
      expect(plain).toBeGreaterThan(10);
    },
  );

  it('bodies it does not take plainly are refused as class-validator words it', async () => {
    await expect(
      pipe.transform({ email: 'x'.repeat(256), shoe_size: 3 }, body(CreateContactDto)),
    ).rejects.toMatchObject({
      status: 400,
      errors: expect.arrayContaining([
        expect.objectContaining({ field: 'shoe_size', message: 'Unknown field shoe_size' }),
        expect.objectContaining({ field: 'email' }),
      ]),
    });
  });

  it('a DTO with class-transformer settings is never taken plainly', () => {
    expect(plainAcceptanceOf(ListContactsQueryDto)).toBeUndefined();
  });
});

describe('an owner_id', () => {
  it('is an admin id of one spelling: no leading zeros, at most 15 digits', () => {
    expect(['0', '7', '123', '9'.repeat(15), 0, 123].map(isOwnerId)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['00', '0123', '007', '9'.repeat(16), '', ' 7', -1, 1.5].map(isOwnerId)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
