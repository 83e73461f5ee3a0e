import { randomUUID } from 'node:crypto';
import type { DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule, type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AttributeDependantsQuery } from '../../src/data-attributes/queries/attribute-dependants/attribute-dependants.query';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { loadEnvironment, Environment } from '../../src/config/environment';
import { DataAttributeDefinitions } from '../../src/data-attributes/data-attribute-definitions.service';
import { DataAttributesModule } from '../../src/data-attributes/data-attributes.module';
import { validateCustomAttributeWrites } from '../../src/data-attributes/domain/custom-attribute-writes';
import { BUILT_IN_CONTACT_ATTRIBUTES } from '../../src/data-attributes/domain/built-in-contact-attributes';
import { CustomAttributeRefused } from '../../src/data-attributes/domain/data-attribute.errors';
import { dataAttributesStream } from '../../src/data-attributes/domain/data-attribute.stream';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { CLOCK, ManualClock } from '../../src/shared/clock';
import { EVENT_STORE } from '../../src/shared/event-store/event-store.port';
import { intercomValidationPipe } from '../../src/shared/http/validation.pipe';
import { IntercomExceptionFilter } from '../../src/shared/http/intercom-exception.filter';
import { WorkspacesModule } from '../../src/workspaces/workspaces.module';

const T0 = 1_700_000_000;
const TOKENS = {
  main: 'main-token-0001',
  limit: 'limit-token-0002',
  other: 'other-token-0003',
} as const;
type Workspace = keyof typeof TOKENS;

interface ErrorBody {
  readonly type: string;
  readonly request_id: string;
  readonly errors: readonly {
    readonly code: string;
    readonly message: string;
    readonly field?: string;
  }[];
}

interface AttributeBody {
  readonly type: string;
  readonly id?: number;
  readonly name: string;
  readonly full_name: string;
  readonly label: string;
  readonly description?: string;
  readonly data_type: string;
  readonly options?: readonly string[];
  readonly custom: boolean;
  readonly archived: boolean;
  readonly messenger_writable: boolean;
  readonly api_writable: boolean;
  readonly ui_writable: boolean;
  readonly model: string;
  readonly created_at?: number;
  readonly updated_at?: number;
}

interface ListBody {
  readonly type: string;
  readonly data: readonly AttributeBody[];
}

describe('data attributes API (e2e)', () => {
  let app: NestFastifyApplication;
  let store: SqliteEventStore;
  const clock = new ManualClock(T0 * 1000);

  beforeAll(async () => {
    store = SqliteEventStore.open({ file: ':memory:' });
    const environment = loadEnvironment({
      ACCESS_TOKENS: `main:${TOKENS.main},limit:${TOKENS.limit},other:${TOKENS.other}`,
    });
    const infrastructure: DynamicModule = {
      module: class TestInfrastructure {},
      global: true,
      providers: [
        { provide: EVENT_STORE, useValue: store },
        { provide: CLOCK, useValue: clock },
        { provide: Environment, useValue: environment },
      ],
      exports: [EVENT_STORE, CLOCK, Environment],
    };
    const moduleRef = await Test.createTestingModule({
      imports: [infrastructure, CqrsModule.forRoot(), WorkspacesModule, DataAttributesModule],
      providers: [{ provide: APP_FILTER, useClass: IntercomExceptionFilter }, NothingDependsOn],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    app.useGlobalPipes(intercomValidationPipe());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const call = async (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: unknown,
    workspace: Workspace = 'main',
  ): Promise<{ status: number; body: unknown }> => {
    const response = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${TOKENS[workspace]}`, 'content-type': 'application/json' },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });
    return { status: response.statusCode, body: response.json() };
  };

  const create = async (
    payload: Record<string, unknown>,
    workspace: Workspace = 'main',
  ): Promise<AttributeBody> => {
    const { status, body } = await call(
      'POST',
      '/data_attributes',
      { model: 'contact', data_type: 'string', ...payload },
      workspace,
    );
    expect(status).toBe(200);
    return body as AttributeBody;
  };

  const list = async (
    query = '?model=contact',
    workspace: Workspace = 'main',
  ): Promise<ListBody> => {
    const { status, body } = await call('GET', `/data_attributes${query}`, undefined, workspace);
    expect(status).toBe(200);
    return body as ListBody;
  };

  const eventCount = async (workspace: Workspace): Promise<number> => {
    let count = 0;
    for await (const _event of store.readStream(dataAttributesStream(workspace))) count += 1;
    return count;
  };

  /** Sends a request that must be refused, and checks the envelope and that nothing was recorded. */
  const expectRefusal = async (
    request: {
      method: 'POST' | 'PUT' | 'GET';
      url: string;
      payload?: unknown;
      workspace?: Workspace;
    },
    expected: { status: number; code: string; field?: string },
  ): Promise<ErrorBody> => {
    const workspace = request.workspace ?? 'main';
    const before = await eventCount(workspace);
    const { status, body } = await call(request.method, request.url, request.payload, workspace);
    const error = body as ErrorBody;
    expect({ status, type: error.type }).toEqual({ status: expected.status, type: 'error.list' });
    expect(error.request_id).toEqual(expect.any(String));
    expect(error.errors[0]).toMatchObject({
      code: expected.code,
      ...(expected.field ? { field: expected.field } : {}),
    });
    expect(await eventCount(workspace)).toBe(before);
    return error;
  };

  describe('create', () => {
    it('answers 200 with the data_attribute object', async () => {
      const attribute = await create({
        name: 'Mithril Shirt',
        description: 'Armour',
        messenger_writable: true,
      });
      expect(attribute).toEqual({
        type: 'data_attribute',
        id: expect.any(Number),
        model: 'contact',
        name: 'Mithril Shirt',
        full_name: 'custom_attributes.Mithril Shirt',
        label: 'Mithril Shirt',
        description: 'Armour',
        data_type: 'string',
        api_writable: true,
        messenger_writable: true,
        ui_writable: false,
        custom: true,
        archived: false,
        created_at: T0,
        updated_at: T0,
      });
    });

    it('gives increasing integer ids per workspace, starting at 1', async () => {
      const first = await create({ name: 'first' }, 'other');
      const second = await create({ name: 'second', data_type: 'integer' }, 'other');
      expect([first.id, second.id]).toEqual([1, 2]);
    });

    it('stores datetime as date', async () => {
      expect((await create({ name: 'renews_at', data_type: 'datetime' })).data_type).toBe('date');
    });

    it('makes list attributes from options as objects (2.16) or strings (2.14 SDK)', async () => {
      const fromObjects = await create({
        name: 'tier',
        data_type: 'options',
        options: [{ value: '1-10' }, { value: '11-50' }],
      });
      const fromStrings = await create({
        name: 'size',
        data_type: 'string',
        options: ['S', 'M', 'L'],
      });
      expect(fromObjects).toMatchObject({ data_type: 'string', options: ['1-10', '11-50'] });
      expect(fromStrings).toMatchObject({ data_type: 'string', options: ['S', 'M', 'L'] });
    });

    it('creates concurrently posted attributes, each with its own id', async () => {
      const names = Array.from({ length: 30 }, (_, index) => `concurrent_${index}`);
      const created = await Promise.all(names.map((name) => create({ name })));
      expect(new Set(created.map((attribute) => attribute.id)).size).toBe(names.length);
      const listed = (await list()).data.map((attribute) => attribute.name);
      expect(listed).toEqual(expect.arrayContaining(names));
    });

    it('treats names case-sensitively', async () => {
      await create({ name: 'casing' });
      expect((await create({ name: 'Casing' })).name).toBe('Casing');
    });
  });

  describe('list', () => {
    it('lists the built-in contact attributes with custom: false, then the custom ones', async () => {
      const attribute = await create({ name: 'listed' });
      const { type, data } = await list();
      expect(type).toBe('list');
      const builtIns = data.filter((item) => !item.custom);
      expect(builtIns.map((item) => item.full_name)).toEqual(
        BUILT_IN_CONTACT_ATTRIBUTES.map((item) => item.full_name),
      );
      expect(builtIns.find((item) => item.name === 'email')).toEqual({
        type: 'data_attribute',
        model: 'contact',
        name: 'email',
        full_name: 'email',
        label: 'Email',
        description: expect.any(String),
        data_type: 'string',
        api_writable: true,
        ui_writable: true,
        messenger_writable: true,
        custom: false,
        archived: false,
      });
      expect(builtIns.find((item) => item.name === 'city')).toMatchObject({
        full_name: 'location.city',
      });
      // The API writes these; no messenger item does.
      for (const name of ['owner_id', 'role', 'signed_up_at', 'last_seen_at'])
        expect(builtIns.find((item) => item.name === name)).toMatchObject({
          api_writable: true,
          messenger_writable: false,
        });
      expect(data.findIndex((item) => item.custom)).toBe(builtIns.length);
      expect(data.find((item) => item.id === attribute.id)).toEqual(attribute);
    });

    it('defaults to the contact model', async () => {
      expect(await list('')).toEqual(await list('?model=contact'));
    });

    it('never shows another workspace’s attributes', async () => {
      await create({ name: 'secret-of-main' });
      const { data } = await list('?model=contact', 'other');
      expect(data.map((item) => item.name)).not.toContain('secret-of-main');
    });
  });

  describe('update and archive', () => {
    it('updates description, options and messenger_writable, keeping the type', async () => {
      const attribute = await create({
        name: 'plan',
        data_type: 'options',
        options: ['free', 'pro'],
      });
      clock.advance(5000);
      const { status, body } = await call('PUT', `/data_attributes/${attribute.id}`, {
        description: 'Billing plan',
        options: [{ value: 'free' }, { value: 'pro' }, { value: 'team' }],
        messenger_writable: true,
        data_type: 'string',
      });
      expect(status).toBe(200);
      expect(body).toEqual({
        ...attribute,
        description: 'Billing plan',
        options: ['free', 'pro', 'team'],
        messenger_writable: true,
        updated_at: T0 + 5,
      });
    });

    it('archives (hidden unless include_archived=true) and unarchives', async () => {
      const attribute = await create({ name: 'legacy' });
      const archived = await call('PUT', `/data_attributes/${attribute.id}`, { archived: true });
      expect(archived).toMatchObject({ status: 200, body: { id: attribute.id, archived: true } });
      expect((await list()).data.map((item) => item.id)).not.toContain(attribute.id);
      expect(
        (await list('?model=contact&include_archived=true')).data.find(
          (item) => item.id === attribute.id,
        ),
      ).toMatchObject({
        archived: true,
      });
      expect(
        (await list('?model=contact&include_archived=false')).data.map((item) => item.id),
      ).not.toContain(attribute.id);
      const unarchived = await call('PUT', `/data_attributes/${attribute.id}`, { archived: false });
      expect(unarchived).toMatchObject({
        status: 200,
        body: { id: attribute.id, archived: false },
      });
      expect((await list()).data.map((item) => item.id)).toContain(attribute.id);
    });

    it('answers the unchanged attribute and records nothing for a no-op update', async () => {
      const attribute = await create({ name: 'steady', description: 'same' });
      const before = await eventCount('main');
      const { status, body } = await call('PUT', `/data_attributes/${attribute.id}`, {
        description: 'same',
      });
      expect({ status, body }).toEqual({ status: 200, body: attribute });
      expect(await eventCount('main')).toBe(before);
    });
  });

  describe('the 250 live attributes limit', () => {
    it('refuses the 251st live attribute and an unarchive beyond the limit, and counts archived ones out', async () => {
      const created: AttributeBody[] = [];
      for (let index = 1; index <= 250; index += 1)
        created.push(await create({ name: `attr ${index}` }, 'limit'));
      expect(created.at(-1)?.id).toBe(250);
      await expectRefusal(
        {
          method: 'POST',
          url: '/data_attributes',
          payload: { name: 'one too many', model: 'contact', data_type: 'string' },
          workspace: 'limit',
        },
        { status: 422, code: 'data_invalid', field: 'name' },
      );
      const first = created[0];
      if (!first) throw new Error('no attribute created');
      expect(
        (await call('PUT', `/data_attributes/${first.id}`, { archived: true }, 'limit')).status,
      ).toBe(200);
      expect((await create({ name: 'replacement' }, 'limit')).id).toBe(251);
      await expectRefusal(
        {
          method: 'PUT',
          url: `/data_attributes/${first.id}`,
          payload: { archived: false },
          workspace: 'limit',
        },
        { status: 422, code: 'data_invalid', field: 'archived' },
      );
    });
  });

  describe('refusals of create', () => {
    const post = (payload: Record<string, unknown>) => ({
      method: 'POST' as const,
      url: '/data_attributes',
      payload: { model: 'contact', data_type: 'string', ...payload },
    });

    it.each([...'.$~`!@#%^&*\'{}|\\"'].map((character) => [character]))(
      'refuses a name containing %s',
      async (character) => {
        await expectRefusal(post({ name: `bad${character}name` }), {
          status: 400,
          code: 'parameter_invalid',
          field: 'name',
        });
      },
    );

    it('refuses a blank name', async () => {
      await expectRefusal(post({ name: ' ' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'name',
      });
    });

    it('refuses a missing name as a parameter not found, as Intercom does', async () => {
      await expectRefusal(post({}), { status: 400, code: 'parameter_not_found', field: 'name' });
    });

    it('refuses a name already taken, with Intercom’s message', async () => {
      await create({ name: 'The One Ring' });
      const error = await expectRefusal(post({ name: 'The One Ring', data_type: 'integer' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'name',
      });
      expect(error.errors[0]?.message).toBe(
        "You already have 'The One Ring' in your people data. To save this as new people data, use a different name.",
      );
    });

    it('refuses the name of an archived attribute', async () => {
      const attribute = await create({ name: 'retired' });
      await call('PUT', `/data_attributes/${attribute.id}`, { archived: true });
      await expectRefusal(post({ name: 'retired' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'name',
      });
    });

    it('refuses a built-in contact attribute name', async () => {
      await expectRefusal(post({ name: 'email' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'name',
      });
    });

    it.each([
      ['toString'],
      ['hasOwnProperty'],
      ['country'],
      ['archived'],
      ['ios_device'],
      ['line\nbreak'],
    ])('refuses %j, a name no contact could hold as its own custom attribute', async (name) => {
      await expectRefusal(post({ name }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'name',
      });
    });

    it('refuses an unknown data type', async () => {
      const error = await expectRefusal(post({ name: 'The Second Ring', data_type: 'mithril' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'data_type',
      });
      expect(error.errors[0]?.message).toBe("Data Type isn't an option");
    });

    it('refuses a list with fewer than two options', async () => {
      await expectRefusal(
        post({ name: 'tiny list', data_type: 'options', options: [{ value: '1-10' }] }),
        {
          status: 400,
          code: 'parameter_invalid',
          field: 'options',
        },
      );
    });

    it('refuses an option over 255 characters, which no contact could hold, and over 500 options', async () => {
      await expectRefusal(
        post({ name: 'long list', data_type: 'options', options: ['short', 'o'.repeat(256)] }),
        { status: 400, code: 'parameter_invalid', field: 'options' },
      );
      const options = Array.from({ length: 501 }, (_, index) => ({ value: `size ${index}` }));
      await expectRefusal(post({ name: 'huge list', data_type: 'options', options }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'options',
      });
    });

    it('refuses a description over 1,000 characters', async () => {
      await expectRefusal(post({ name: 'bigdesc_x', description: 'd'.repeat(1_040_000) }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'description',
      });
      await expectRefusal(post({ name: 'bigdesc_y', description: 'd'.repeat(1001) }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'description',
      });
      expect((await create({ name: 'bigdesc_z', description: 'd'.repeat(1000) })).description).toBe(
        'd'.repeat(1000),
      );
    });

    it('refuses options on a non-string type', async () => {
      await expectRefusal(post({ name: 'numbers', data_type: 'integer', options: ['1', '2'] }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'options',
      });
    });

    it('refuses options that are not a list', async () => {
      await expectRefusal(
        post({ name: 'not a list', data_type: 'options', options: { value: '1-10' } }),
        {
          status: 400,
          code: 'parameter_invalid',
          field: 'options',
        },
      );
    });

    it('refuses an unknown model (400) and the company model (422)', async () => {
      await expectRefusal(post({ name: 'm1', model: 'conversation' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'model',
      });
      await expectRefusal(post({ name: 'm2', model: 'company' }), {
        status: 422,
        code: 'data_invalid',
        field: 'model',
      });
    });

    it('refuses an unknown body field by name', async () => {
      await expectRefusal(post({ name: 'extra', colour: 'red' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'colour',
      });
    });

    it('refuses a wrongly typed field by name', async () => {
      await expectRefusal(post({ name: 'typed', messenger_writable: 'yes' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'messenger_writable',
      });
    });
  });

  describe('refusals of update', () => {
    let plan: AttributeBody;
    let nickname: AttributeBody;

    beforeAll(async () => {
      plan = await create({ name: 'update-plan', data_type: 'options', options: ['a', 'b'] });
      nickname = await create({ name: 'update-nickname' });
    });

    const put = (
      id: number | string,
      payload: Record<string, unknown>,
      workspace: Workspace = 'main',
    ) => ({
      method: 'PUT' as const,
      url: `/data_attributes/${id}`,
      payload,
      workspace,
    });

    it('answers 404 for an unknown id', async () => {
      const error = await expectRefusal(put(999_999, { description: 'x' }), {
        status: 404,
        code: 'field_not_found',
        field: 'data_attribute_id',
      });
      expect(error.errors[0]?.message).toBe("We couldn't find that data attribute to update");
    });

    it('answers 404 for an id that exists only in another workspace, and leaves that attribute alone', async () => {
      const mine = await create({ name: 'owned-by-main' });
      const others = (await list('?model=contact&include_archived=true', 'other')).data.map(
        (item) => item.id,
      );
      expect(others).not.toContain(mine.id);
      const before = await eventCount('main');
      await expectRefusal(put(mine.id ?? 0, { description: 'taken over' }, 'other'), {
        status: 404,
        code: 'field_not_found',
        field: 'data_attribute_id',
      });
      expect(await eventCount('main')).toBe(before);
      expect((await list()).data.find((item) => item.id === mine.id)).toEqual(mine);
    });

    it('refuses an id that is not an integer, or not spelled as its digits alone', async () => {
      for (const id of ['abc', `0${nickname.id}`, `%20${nickname.id}`, `00${nickname.id}`]) {
        await expectRefusal(put(id, { description: 'x' }), {
          status: 400,
          code: 'parameter_invalid',
          field: 'data_attribute_id',
        });
      }
    });

    it('refuses a change of data type', async () => {
      await expectRefusal(put(plan.id ?? 0, { data_type: 'integer' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'data_type',
      });
    });

    it('refuses fewer than two options', async () => {
      await expectRefusal(put(plan.id ?? 0, { options: [{ value: 'a' }] }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'options',
      });
    });

    it('refuses an option over 255 characters', async () => {
      await expectRefusal(put(plan.id ?? 0, { options: ['free', 'p'.repeat(256)] }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'options',
      });
    });

    it('refuses a description over 1,000 characters, and lists one stored before the bound', async () => {
      await expectRefusal(put(nickname.id ?? 0, { description: 'd'.repeat(100_000) }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'description',
      });
      const storedBefore = 'd'.repeat(5000);
      await store.append(
        dataAttributesStream('main'),
        [
          {
            id: randomUUID(),
            type: 'DataAttributeUpdated',
            data: {
              workspaceId: 'main',
              id: nickname.id,
              changes: { description: storedBefore },
              updated_at: T0,
            },
            metadata: { workspaceId: 'main', occurredAt: T0 * 1000, schemaVersion: 1 },
          },
        ],
        { expectedRevision: 'any' },
      );
      const listed = (await list()).data.find((attribute) => attribute.id === nickname.id);
      expect(listed?.description).toBe(storedBefore);
      const { status } = await call('PUT', `/data_attributes/${nickname.id}`, {
        description: storedBefore,
        messenger_writable: true,
      });
      expect(status).toBe(200);
    });

    it('refuses options on an attribute that is not a list', async () => {
      await expectRefusal(put(nickname.id ?? 0, { options: ['x', 'y'] }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'options',
      });
    });

    it('refuses a rename (name is not an updatable field)', async () => {
      await expectRefusal(put(nickname.id ?? 0, { name: 'renamed' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'name',
      });
    });

    it('refuses a non-boolean archived', async () => {
      await expectRefusal(put(nickname.id ?? 0, { archived: 'yes' }), {
        status: 400,
        code: 'parameter_invalid',
        field: 'archived',
      });
    });
  });

  describe('refusals of list', () => {
    it('answers 422 for the company model and the retired conversation one, and 400 for an unknown one', async () => {
      await expectRefusal(
        { method: 'GET', url: '/data_attributes?model=company' },
        { status: 422, code: 'data_invalid', field: 'model' },
      );
      // As Intercom's OpenAPI documents it ("Deprecated conversation model").
      await expectRefusal(
        { method: 'GET', url: '/data_attributes?model=conversation' },
        { status: 422, code: 'parameter_invalid', field: 'model' },
      );
      await expectRefusal(
        { method: 'GET', url: '/data_attributes?model=ticket' },
        { status: 400, code: 'parameter_invalid', field: 'model' },
      );
    });

    it('refuses a non-boolean include_archived', async () => {
      await expectRefusal(
        { method: 'GET', url: '/data_attributes?include_archived=maybe' },
        { status: 400, code: 'parameter_invalid', field: 'include_archived' },
      );
    });
  });

  it('answers 401 without a valid token', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/data_attributes',
      headers: { authorization: 'Bearer nope-nope-nope' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({
      type: 'error.list',
      errors: [{ code: 'unauthorized', message: 'Access Token Invalid' }],
    });
  });

  describe('DataAttributeDefinitions for the contacts layer', () => {
    it('sees an attribute created a moment ago, and catches up after each write', async () => {
      const definitions = app.get(DataAttributeDefinitions);
      await create({ name: 'ryw-one', data_type: 'integer' });
      expect(
        validateCustomAttributeWrites(await definitions.forWorkspace('main'), { 'ryw-one': 3 }),
      ).toEqual({ 'ryw-one': 3 });
      await create({ name: 'ryw-two', data_type: 'options', options: ['x', 'y'] });
      const state = await definitions.forWorkspace('main');
      expect(validateCustomAttributeWrites(state, { 'ryw-two': 'x' })).toEqual({ 'ryw-two': 'x' });
      expect(() => validateCustomAttributeWrites(state, { 'ryw-two': 'z' })).toThrow(
        CustomAttributeRefused,
      );
      const retired = await create({ name: 'ryw-three' });
      expect(
        validateCustomAttributeWrites(await definitions.forWorkspace('main'), { 'ryw-three': 'v' }),
      ).toEqual({ 'ryw-three': 'v' });
      await call('PUT', `/data_attributes/${retired.id}`, { archived: true });
      await expect(
        definitions
          .forWorkspace('main')
          .then((fresh) => validateCustomAttributeWrites(fresh, { 'ryw-three': 'v' })),
      ).rejects.toMatchObject({
        reason: 'archived',
        code: 'parameter_invalid',
        field: 'custom_attributes.ryw-three',
      });
    });
  });
});

/** This module alone has no segments: no attribute has dependants (the service's segments answer). */
@QueryHandler(AttributeDependantsQuery)
class NothingDependsOn implements IQueryHandler<AttributeDependantsQuery> {
  execute(): Promise<readonly string[]> {
    return Promise.resolve([]);
  }
}
