import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { defineLayer } from '../lib/types';
import { DATA_OUTPUTS } from '../lib/outputs';
import { PostgresDatabase, PostgresRole } from './postgres-provider';

const IDENTIFIER = '^[a-z_][a-z0-9_]{0,62}$';

/** Environment names allow '-', which PostgreSQL would force every client to quote. */
export function localIdentifier(environment: string): string {
  return `strata_${environment.replace(/-/g, '_')}`;
}

export const localData = defineLayer({
  target: 'local',
  layer: 'data',
  description:
    'A PostgreSQL database and its owning login role on the server at LOCAL_POSTGRES_URL.',
  config: Type.Object(
    {
      database: Type.Optional(
        Type.String({
          pattern: IDENTIFIER,
          description: 'Database name; default strata_<environment>.',
        }),
      ),
      username: Type.Optional(
        Type.String({
          pattern: IDENTIFIER,
          description: 'Login role name; default the database name.',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  outputs: DATA_OUTPUTS.filter((o) => o.name !== 'redisUrl'),
  program: (args) => async () => {
    const admin = new URL(args.runtime.localPostgresUrl);
    const database = args.config.database ?? localIdentifier(args.environment);
    const username = args.config.username ?? database;
    const adminUrl = pulumi.secret(args.runtime.localPostgresUrl);
    const role = new PostgresRole('role', { adminUrl, name: username });
    const db = new PostgresDatabase('database', { adminUrl, name: database, owner: role.name });
    const host = admin.hostname;
    const port = Number(admin.port || 5432);
    return {
      host,
      port,
      database: db.name,
      username: role.name,
      password: pulumi.secret(role.password),
      url: pulumi.secret(
        pulumi.interpolate`postgres://${role.name}:${role.password.apply(encodeURIComponent)}@${host}:${port}/${db.name}`,
      ),
    };
  },
});
