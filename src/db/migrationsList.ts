import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261124212026 } from '../../migrations/Migration20261124212026.js';
import { Migration20261201090000 } from '../../migrations/Migration20261201090000.js';
import { Migration20261201110000 } from '../../migrations/Migration20261201110000.js';
import { Migration20261201113000 } from '../../migrations/Migration20261201113000.js';
import { Migration20261202090000 } from '../../migrations/Migration20261202090000.js';
import { Migration20261203090000 } from '../../migrations/Migration20261203090000.js';
import { Migration20261204090000 } from '../../migrations/Migration20261204090000.js';
import { Migration20261205090000 } from '../../migrations/Migration20261205090000.js';

/** Every committed migration, in order. A new migration's class must be added here too. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261124212026', class: Migration20261124212026 },
  { name: 'Migration20261201090000', class: Migration20261201090000 },
  { name: 'Migration20261201110000', class: Migration20261201110000 },
  { name: 'Migration20261201113000', class: Migration20261201113000 },
  { name: 'Migration20261202090000', class: Migration20261202090000 },
  { name: 'Migration20261203090000', class: Migration20261203090000 },
  { name: 'Migration20261204090000', class: Migration20261204090000 },
  { name: 'Migration20261205090000', class: Migration20261205090000 },
];
