import { Client } from 'pg';

export const adminUrl = (): string =>
  process.env.LOCAL_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function adminQuery(sql: string, values: unknown[] = []): Promise<number> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return (await client.query(sql, values)).rowCount ?? 0;
  } finally {
    await client.end();
  }
}

export const roleExists = async (role: string): Promise<boolean> =>
  (await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])) === 1;

export const databaseExists = async (db: string): Promise<boolean> =>
  (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [db])) === 1;

/** What an operator might do by hand: drop the application's role behind Strata's back. */
export async function dropRoleBehindStrata(role: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    const quoted = client.escapeIdentifier(role);
    await client.query(`REASSIGN OWNED BY ${quoted} TO CURRENT_USER`);
    await client.query(`DROP OWNED BY ${quoted}`);
    await client.query(`DROP ROLE ${quoted}`);
  } finally {
    await client.end();
  }
}
