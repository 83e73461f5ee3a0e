import 'reflect-metadata';
import type { ArgumentMetadata } from '@nestjs/common';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { HttpProblem } from './intercom-error';
import { intercomValidationPipe } from './validation.pipe';

class TimedBody {
  @IsInt()
  @Min(0)
  @Max(253_402_300_799)
  created_at!: number;

  @IsOptional()
  @IsString()
  name?: string;
}

describe('intercomValidationPipe', () => {
  const pipe = intercomValidationPipe();
  const metadata: ArgumentMetadata = { type: 'body', metatype: TimedBody, data: undefined };
  const refusal = async (value: unknown) => {
    try {
      await pipe.transform(value, metadata);
    } catch (error) {
      return error instanceof HttpProblem ? error.errors : error;
    }
    throw new Error('accepted');
  };

  it('names a required field left out once, as not found, whatever rules it has', async () => {
    expect(await refusal({ name: 'x' })).toEqual([
      { code: 'parameter_not_found', message: 'created_at is required', field: 'created_at' },
    ]);
  });

  it('names each rule a given value breaks, and an unknown field by name', async () => {
    expect(await refusal({ created_at: -1.5, colour: 'red' })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'parameter_invalid', field: 'created_at' }),
        { code: 'parameter_invalid', message: 'Unknown field colour', field: 'colour' },
      ]),
    );
  });

  it('names an empty key as JSON spells it, not as an empty field', async () => {
    expect(await refusal({ created_at: 1, '': 'x' })).toEqual([
      { code: 'parameter_invalid', message: 'Unknown field ""', field: '""' },
    ]);
  });

  it('refuses a body that is not an object (null, an array, a bare value), naming body', async () => {
    for (const body of [null, [], [{ created_at: 1 }], 'x', 5, true]) {
      expect(await refusal(body)).toEqual([
        {
          code: 'parameter_invalid',
          message: 'The request body must be a JSON object',
          field: 'body',
        },
      ]);
    }
  });

  it('names only the type a value of the wrong type breaks, not the range it then misses too', async () => {
    expect(await refusal({ created_at: 'abc' })).toEqual([
      {
        code: 'parameter_invalid',
        message: 'created_at must be an integer number',
        field: 'created_at',
      },
    ]);
  });
});
