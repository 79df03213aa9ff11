// Config for the MikroORM CLI (an entry point like src/cli/main.ts, so it may read the environment).
// Generate a migration against a real PostgreSQL:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/psb_dev MIKRO_ORM_CLI_USE_TS_NODE=false \
//   MIKRO_ORM_CLI_ALWAYS_ALLOW_TS=1 node --import tsx node_modules/@mikro-orm/cli/cli.js migration:create
// then add the new class to src/db/migrationsList.ts.
import { parseConfig } from '../config.js';
import { ormOptions } from './ormOptions.js';

const config = parseConfig(process.env);
export default ormOptions(config.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/psb_dev');
