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

async function withAdmin<T>(adminUrl: string, work: (client: PgClient) => Promise<T>): Promise<T> {
  const { Client } = require('pg') as {
    Client: new (options: { connectionString: string }) => PgClient;
  };
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export const roleProvider: pulumi.dynamic.ResourceProvider<RoleInputs, RoleOutputs> = {
  async create(inputs) {
    const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
    const password = randomBytes(24).toString('base64url');
    await withAdmin(inputs.adminUrl, (c) =>
      c.query(
        `CREATE ROLE ${c.escapeIdentifier(inputs.name)} LOGIN PASSWORD ${c.escapeLiteral(password)}`,
      ),
    );
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
      await c.query(
        `CREATE DATABASE ${c.escapeIdentifier(inputs.name)} OWNER ${c.escapeIdentifier(inputs.owner)}`,
      );
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
