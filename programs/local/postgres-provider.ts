import * as pulumi from '@pulumi/pulumi';

/*
 * Dynamic providers are serialized into the Pulumi state and run in a separate process
 * (pulumi-resource-pulumi-nodejs), so every method requires what it needs and refers to
 * nothing outside itself except the small pure helpers below, which are serialized with it.
 */

interface AdminInputs {
  adminUrl: string;
}

export interface RoleInputs extends AdminInputs {
  name: string;
}
export interface RoleOutputs extends RoleInputs {
  password: string;
}

export interface DatabaseInputs extends AdminInputs {
  name: string;
  owner: string;
}

type PgClient = {
  connect(): Promise<void>;
  end(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  escapeIdentifier(value: string): string;
  escapeLiteral(value: string): string;
};

/**
 * Runs `work` on an admin connection with deadlines: a server that hangs (rather than refusing)
 * fails the step with a message naming it, instead of holding the deployment forever. The query
 * deadline is kept by the client too, because a frozen server cannot enforce its own.
 */
async function withAdmin<T>(adminUrl: string, work: (client: PgClient) => Promise<T>): Promise<T> {
  const CONNECT_TIMEOUT_MS = 10_000;
  const QUERY_TIMEOUT_MS = 60_000;
  const { Client } = require('pg') as {
    Client: new (options: {
      connectionString: string;
      connectionTimeoutMillis: number;
      query_timeout: number;
      statement_timeout: number;
    }) => PgClient;
  };
  const where = (() => {
    const url = new URL(adminUrl);
    return `PostgreSQL at ${url.hostname}:${url.port || '5432'} (LOCAL_POSTGRES_URL)`;
  })();
  const client = new Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    statement_timeout: QUERY_TIMEOUT_MS,
  });
  try {
    await client.connect();
  } catch (error) {
    client.end().catch(() => undefined);
    const message = (error as Error).message;
    throw new Error(
      /timeout/i.test(message)
        ? `${where} did not answer within ${CONNECT_TIMEOUT_MS / 1000}s when connecting`
        : `${where}: could not connect: ${message}`,
    );
  }
  try {
    return await work(client);
  } catch (error) {
    const message = (error as Error).message;
    throw /timeout/i.test(message)
      ? new Error(`${where} did not answer a query within ${QUERY_TIMEOUT_MS / 1000}s`)
      : error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** SQLSTATE of a PostgreSQL error, if it is one. */
function sqlState(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/**
 * The SCRAM-SHA-256 verifier of `password` in PostgreSQL's format. PostgreSQL stores a verifier
 * it is given as it is, so the clear password never travels in SQL, where statement logging,
 * pg_stat_statements or an error report would keep it. The generated passwords are ASCII, which
 * SASLprep leaves as they are.
 */
function scramVerifier(password: string): string {
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const iterations = 4096;
  const salt = crypto.randomBytes(16);
  const salted = crypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = crypto.createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = crypto.createHash('sha256').update(clientKey).digest('base64');
  const serverKey = crypto.createHmac('sha256', salted).update('Server Key').digest('base64');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey}:${serverKey}`;
}

export const roleProvider: pulumi.dynamic.ResourceProvider<RoleInputs, RoleOutputs> = {
  async create(inputs) {
    const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
    const password = randomBytes(24).toString('base64url');
    const verifier = scramVerifier(password);
    await withAdmin(inputs.adminUrl, async (c) => {
      const role = c.escapeIdentifier(inputs.name);
      try {
        await c.query(`CREATE ROLE ${role} LOGIN PASSWORD ${c.escapeLiteral(verifier)}`);
      } catch (error) {
        // duplicate_object: an interrupted run created it before its state was saved. The name
        // is this stack's own, so the role is taken over with a new password.
        if (sqlState(error) !== '42710') throw error;
        await c.query(`ALTER ROLE ${role} LOGIN PASSWORD ${c.escapeLiteral(verifier)}`);
      }
    });
    return { id: inputs.name, outs: { ...inputs, password } };
  },
  async read(id, props) {
    if (!props) throw new Error('importing a role is not supported: create it through Strata');
    const found = await withAdmin(props.adminUrl, (c) =>
      c.query('SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin', [id]),
    );
    // No id tells the engine the role is gone, which a refresh reports as drift.
    return found.rows.length === 0 ? {} : { id, props };
  },
  async diff(_id, olds, news) {
    const replaces = olds.name === news.name ? [] : ['name'];
    return {
      changes: replaces.length > 0 || olds.adminUrl !== news.adminUrl,
      replaces,
      deleteBeforeReplace: true,
    };
  },
  async update(_id, olds, news) {
    return { outs: { ...news, password: olds.password } };
  },
  async delete(id, props) {
    await withAdmin(props.adminUrl, (c) =>
      c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(id)}`),
    );
  },
};

export const databaseProvider: pulumi.dynamic.ResourceProvider<DatabaseInputs, DatabaseInputs> = {
  async create(inputs) {
    await withAdmin(inputs.adminUrl, async (c) => {
      const database = c.escapeIdentifier(inputs.name);
      const owner = c.escapeIdentifier(inputs.owner);
      try {
        await c.query(`CREATE DATABASE ${database} OWNER ${owner}`);
      } catch (error) {
        // duplicate_database: left by an interrupted run of this stack; adopt it.
        if (sqlState(error) !== '42P04') throw error;
        await c.query(`ALTER DATABASE ${database} OWNER TO ${owner}`);
      }
      // PUBLIC may connect to a new database by default: every other environment's role could
      // then read what the schema grants PUBLIC. Only the owner (and superusers) may.
      await c.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC`);
    });
    return { id: inputs.name, outs: inputs };
  },
  async read(id, props) {
    if (!props) throw new Error('importing a database is not supported: create it through Strata');
    const found = await withAdmin(props.adminUrl, (c) =>
      c.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [id]),
    );
    const row = found.rows[0];
    if (!row) return {};
    // Reporting the live owner lets a refresh show an ownership change made outside Strata.
    const live: DatabaseInputs = { ...props, owner: String(row.owner) };
    return { id, props: live };
  },
  async diff(_id, olds, news) {
    const replaces = olds.name === news.name ? [] : ['name'];
    const changes =
      replaces.length > 0 || olds.owner !== news.owner || olds.adminUrl !== news.adminUrl;
    return { changes, replaces, deleteBeforeReplace: true };
  },
  async update(id, _olds, news) {
    await withAdmin(news.adminUrl, (c) =>
      c.query(
        `ALTER DATABASE ${c.escapeIdentifier(id)} OWNER TO ${c.escapeIdentifier(news.owner)}`,
      ),
    );
    return { outs: news };
  },
  async delete(id, props) {
    // FORCE ends the application's open connections, which would otherwise block the drop.
    await withAdmin(props.adminUrl, (c) =>
      c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(id)} WITH (FORCE)`),
    );
  },
};

type Wrapped<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** A PostgreSQL login role with a generated password. */
export class PostgresRole extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;

  constructor(name: string, args: Wrapped<RoleInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      roleProvider,
      name,
      { ...args, password: undefined },
      {
        ...opts,
        additionalSecretOutputs: ['password', 'adminUrl'],
      },
      'strata',
      'PostgresRole',
    );
  }
}

/** A PostgreSQL database owned by a role. */
export class PostgresDatabase extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: Wrapped<DatabaseInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      databaseProvider,
      name,
      args,
      { ...opts, additionalSecretOutputs: ['adminUrl'] },
      'strata',
      'PostgresDatabase',
    );
  }
}
