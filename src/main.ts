import 'reflect-metadata';
import { InvalidEnvironment, loadEnvironment } from './config/environment';
import { createApp } from './bootstrap';

async function main(): Promise<void> {
  let environment;
  try {
    environment = loadEnvironment();
  } catch (error) {
    if (error instanceof InvalidEnvironment) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp();
  await app.listen(environment.PORT, environment.HOST);
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
