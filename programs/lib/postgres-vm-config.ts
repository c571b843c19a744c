import { Type } from '@sinclair/typebox';
import type { OutputSpec } from './types';

/**
 * The parts of a data layer's config and outputs that are the same wherever PostgreSQL runs on
 * a VM set up by postgresCloudInit (openstack and hcloud): the database and role it creates and
 * what the layer reports about them. Fields whose defaults differ per cloud stay in each layer.
 */

/** An unquoted PostgreSQL identifier: cloud-init puts these names into SQL and pg_hba.conf. */
const IDENTIFIER = '^[a-z_][a-z0-9_]{0,62}$';

/** Config fields naming the database and its owner, spread into each layer's schema. */
export const POSTGRES_VM_LOGIN_FIELDS = {
  databaseName: Type.String({
    pattern: IDENTIFIER,
    default: 'app',
    description: 'Database to create.',
  }),
  username: Type.String({
    pattern: IDENTIFIER,
    default: 'app',
    description: 'Login role that owns the database.',
  }),
};

/** Outputs after `host` (whose description names the cloud's kind of machine). */
export const POSTGRES_VM_LOGIN_OUTPUTS: OutputSpec[] = [
  { name: 'port', env: 'DB_PORT', description: 'PostgreSQL port.' },
  { name: 'database', env: 'DB_NAME', description: 'Database name.' },
  { name: 'username', env: 'DB_USER', description: 'Login role.' },
  {
    name: 'password',
    env: 'DB_PASSWORD',
    secret: true,
    description: 'Password of the login role.',
  },
  { name: 'url', env: 'DATABASE_URL', secret: true, description: 'postgres:// connection URL.' },
];
