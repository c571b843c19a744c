import * as pulumi from '@pulumi/pulumi';

/**
 * cloud-init that turns a plain Ubuntu server with an attached volume into a PostgreSQL server:
 * the data directory lives on the volume (so the server can be replaced without losing data),
 * PostgreSQL listens only on the private address and accepts only the private range, and an
 * optional cron job ships compressed pg_dump files to S3-compatible object storage.
 * Shared by the openstack and hcloud data layers, which differ only in how the volume appears.
 */
export interface PostgresCloudInitOptions {
  version: string;
  database: string;
  username: string;
  password: pulumi.Input<string>;
  listenAddress: string;
  allowedCidr: pulumi.Input<string>;
  /** Block device of the data volume, e.g. /dev/disk/by-id/virtio-<id>. */
  device: pulumi.Input<string>;
  pgvector: boolean;
  backup?: {
    schedule: string;
    retentionDays: number;
    endpoint: pulumi.Input<string>;
    bucket: pulumi.Input<string>;
    accessKey: pulumi.Input<string>;
    secretKey: pulumi.Input<string>;
  };
}

function indent(text: string | undefined, spaces: number): string {
  const pad = ' '.repeat(spaces);
  // Under Pulumi mocks generated values are undefined; render them empty rather than crash.
  return (text ?? '')
    .split('\n')
    .map((line) => (line ? pad + line : line))
    .join('\n');
}

function setupScript(o: {
  version: string;
  database: string;
  username: string;
  listenAddress: string;
  allowedCidr: string;
  device: string;
  pgvector: boolean;
}): string {
  const packages = [`postgresql-${o.version}`, 'rclone'];
  if (o.pgvector) packages.push(`postgresql-${o.version}-pgvector`);
  const conf = `/etc/postgresql/${o.version}/main`;
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    `DEV='${o.device}'`,
    // The volume may be attached a little after first boot.
    'for _ in $(seq 1 120); do [ -b "$DEV" ] && break; sleep 5; done',
    'blkid "$DEV" || mkfs.ext4 -L pgdata "$DEV"',
    'mkdir -p /var/lib/postgresql',
    'grep -q "$DEV" /etc/fstab || echo "$DEV /var/lib/postgresql ext4 defaults,nofail 0 2" >> /etc/fstab',
    'mount -a',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update && apt-get install -y postgresql-common',
    '/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y',
    `apt-get install -y ${packages.join(' ')}`,
    `echo "listen_addresses = '${o.listenAddress}'" >> ${conf}/postgresql.conf`,
    `echo "password_encryption = 'scram-sha-256'" >> ${conf}/postgresql.conf`,
    `echo "host ${o.database} ${o.username} ${o.allowedCidr} scram-sha-256" >> ${conf}/pg_hba.conf`,
    `systemctl restart postgresql@${o.version}-main`,
    'PASSWORD="$(cat /etc/strata/db-password)"',
    `sudo -u postgres psql -v ON_ERROR_STOP=1 -c "DO \\$\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${o.username}') THEN CREATE ROLE \\"${o.username}\\" LOGIN PASSWORD '$PASSWORD'; END IF; END \\$\\$;"`,
    `sudo -u postgres psql -tc "SELECT 1 FROM pg_database WHERE datname = '${o.database}'" | grep -q 1 || sudo -u postgres createdb -O "${o.username}" "${o.database}"`,
    o.pgvector
      ? `sudo -u postgres psql -d "${o.database}" -c "CREATE EXTENSION IF NOT EXISTS vector"`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function backupScript(database: string, retentionDays: number): string {
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'set -a; . /etc/strata/backup.env; set +a',
    'STAMP="$(date -u +%Y%m%dT%H%M%SZ)"',
    `sudo -u postgres pg_dump -Fc "${database}" | rclone rcat "backup:$BACKUP_BUCKET/postgres/${database}-$STAMP.dump"`,
    `rclone delete --min-age ${retentionDays}d "backup:$BACKUP_BUCKET/postgres/"`,
  ].join('\n');
}

/** The whole user data, as a Pulumi secret: it carries the database password and backup keys. */
export function postgresCloudInit(options: PostgresCloudInitOptions): pulumi.Output<string> {
  const backup = options.backup;
  return pulumi.secret(
    pulumi
      .all([
        options.password,
        options.allowedCidr,
        options.device,
        backup?.endpoint ?? '',
        backup?.bucket ?? '',
        backup?.accessKey ?? '',
        backup?.secretKey ?? '',
      ])
      .apply(([password, allowedCidr, device, endpoint, bucket, accessKey, secretKey]) => {
        const files: { path: string; permissions: string; content: string | undefined }[] = [
          { path: '/etc/strata/db-password', permissions: '0600', content: password },
          {
            path: '/usr/local/sbin/strata-postgres-setup',
            permissions: '0700',
            content: setupScript({ ...options, allowedCidr, device }),
          },
        ];
        const runcmd = ['/usr/local/sbin/strata-postgres-setup'];
        if (backup) {
          files.push(
            {
              path: '/etc/strata/backup.env',
              permissions: '0600',
              content: [
                'RCLONE_CONFIG_BACKUP_TYPE=s3',
                'RCLONE_CONFIG_BACKUP_PROVIDER=Other',
                `RCLONE_CONFIG_BACKUP_ENDPOINT=${endpoint}`,
                `RCLONE_CONFIG_BACKUP_ACCESS_KEY_ID=${accessKey}`,
                `RCLONE_CONFIG_BACKUP_SECRET_ACCESS_KEY=${secretKey}`,
                `BACKUP_BUCKET=${bucket}`,
              ].join('\n'),
            },
            {
              path: '/usr/local/sbin/strata-postgres-backup',
              permissions: '0700',
              content: backupScript(options.database, backup.retentionDays),
            },
            {
              path: '/etc/cron.d/strata-postgres-backup',
              permissions: '0644',
              content: `${backup.schedule} root /usr/local/sbin/strata-postgres-backup\n`,
            },
          );
        }
        const writeFiles = files
          .map(
            (f) =>
              `  - path: ${f.path}\n    permissions: '${f.permissions}'\n    content: |\n${indent(f.content, 6)}`,
          )
          .join('\n');
        return `#cloud-config\nwrite_files:\n${writeFiles}\nruncmd:\n${runcmd.map((c) => `  - ${c}`).join('\n')}\n`;
      }),
  );
}
