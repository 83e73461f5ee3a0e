import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module';
import { intercomValidationPipe } from './shared/http/validation.pipe';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the HTTP application (used by `main.ts`, the e2e tests and the benchmarks). */
export async function createApp(options: { readonly logs?: boolean } = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    // Idle keep-alive sockets must not hold a graceful shutdown open; in-flight requests finish.
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  if (options.logs !== false) app.useLogger(app.get(Logger));
  app.useGlobalPipes(intercomValidationPipe());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Contact lifecycle service')
      .setDescription('Intercom-compatible Contacts API and its extensions')
      .setVersion('2.16')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
  return app;
}
