/**
 * A start that fails for a reason outside the service (a bad setting, or what a setting names: a
 * DATA_DIR in use, a PORT taken, a DATABASE_URL nothing answers at), said in its message, which
 * names the variable: `main` prints it alone, without a stack trace, which would only say where
 * the service noticed.
 */
export class StartFailure extends Error {}
