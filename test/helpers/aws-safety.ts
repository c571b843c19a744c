import assert from 'node:assert/strict';
import type { BlueprintPlan } from '../../catalogue/blueprint-plan';
import { ofType } from './plans';

/** Whether a from-to port range (as planned, numbers when set) includes the port. */
const covers = (from: unknown, to: unknown, port: number) =>
  typeof from === 'number' && typeof to === 'number' && from <= port && port <= to;

/**
 * Asserts that no security group rule of an AWS plan lets the internet (IPv4 or IPv6) reach any
 * of the data ports, and that no RDS instance has a public address.
 */
export function assertDataPortsClosedToInternet(plan: BlueprintPlan, dataPorts: number[]): void {
  for (const rule of ofType(plan, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')) {
    if (rule.inputs.cidrIpv4 !== '0.0.0.0/0' && rule.inputs.cidrIpv6 !== '::/0') continue;
    for (const port of dataPorts) {
      assert.ok(
        rule.inputs.ipProtocol !== '-1' && !covers(rule.inputs.fromPort, rule.inputs.toPort, port),
        `${rule.name} opens ${port} to the internet`,
      );
    }
  }
  for (const group of ofType(plan, 'aws:ec2/securityGroup:SecurityGroup')) {
    for (const ingress of (group.inputs.ingress ?? []) as Record<string, unknown>[]) {
      const open =
        ((ingress.cidrBlocks ?? []) as string[]).includes('0.0.0.0/0') ||
        ((ingress.ipv6CidrBlocks ?? []) as string[]).includes('::/0');
      for (const port of dataPorts) {
        assert.ok(
          !(open && (ingress.protocol === '-1' || covers(ingress.fromPort, ingress.toPort, port))),
          `${group.name} ${port}`,
        );
      }
    }
  }
  // Nor is the database itself given a public address.
  for (const db of ofType(plan, 'aws:rds/instance:Instance')) {
    assert.notEqual(db.inputs.publiclyAccessible, true, `${db.name} is not publicly accessible`);
  }
}

/** Asserts that the plan has S3 buckets and that each has a public access block with every flag on. */
export function assertBucketsPrivate(plan: BlueprintPlan): void {
  const buckets = ofType(plan, 'aws:s3/bucket:Bucket');
  assert.ok(buckets.length > 0);
  for (const bucket of buckets) {
    const block = ofType(plan, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock').find(
      (b) => b.inputs.bucket === `${bucket.name}-id`,
    );
    assert.ok(block, `${bucket.name} has a public access block`);
    for (const flag of [
      'blockPublicAcls',
      'blockPublicPolicy',
      'ignorePublicAcls',
      'restrictPublicBuckets',
    ]) {
      assert.equal(block.inputs[flag], true, `${bucket.name} ${flag}`);
    }
  }
}

/**
 * Asserts that the (first) RDS database of a prod plan is encrypted, multi-AZ,
 * deletion-protected and keeps 7+ days of backups.
 */
export function assertProdDatabaseProtected(plan: BlueprintPlan): void {
  const [db] = ofType(plan, 'aws:rds/instance:Instance');
  assert.equal(db?.inputs.storageEncrypted, true);
  assert.equal(db?.inputs.multiAz, true);
  assert.equal(db?.inputs.deletionProtection, true);
  assert.ok(Number(db?.inputs.backupRetentionPeriod) >= 7);
}
