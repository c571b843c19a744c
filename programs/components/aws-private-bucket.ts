import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface AwsPrivateBucketArgs {
  /** Prefix of the bucket's physical name; AWS names are global, so Pulumi appends a suffix. */
  namePrefix: string;
  versioning: boolean;
  sseAlgorithm: 'AES256' | 'aws:kms';
  kmsKeyId?: pulumi.Input<string>;
  forceDestroy: boolean;
  lifecycleRules?: aws.types.input.s3.BucketLifecycleConfigurationRule[];
}

/**
 * An S3 bucket that can never be public: all four public access block flags, owner-enforced
 * object ownership (no ACLs), default encryption. Every bucket Strata creates on AWS is one.
 */
export class AwsPrivateBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;

  constructor(name: string, args: AwsPrivateBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:PrivateBucket', name, {}, opts);
    const parent = { parent: this };

    this.bucket = new aws.s3.Bucket(
      name,
      {
        // S3 prefixes are at most 37 characters and lower case.
        bucketPrefix: `${args.namePrefix.toLowerCase().slice(0, 36)}-`,
        forceDestroy: args.forceDestroy,
      },
      parent,
    );
    this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      name,
      {
        bucket: this.bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      name,
      { bucket: this.bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket: this.bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: args.sseAlgorithm,
              kmsMasterKeyId: args.sseAlgorithm === 'aws:kms' ? args.kmsKeyId : undefined,
            },
            // Bucket keys cut KMS request costs; meaningless for AES256.
            bucketKeyEnabled: args.sseAlgorithm === 'aws:kms',
          },
        ],
      },
      parent,
    );
    if (args.versioning) {
      new aws.s3.BucketVersioning(
        name,
        { bucket: this.bucket.id, versioningConfiguration: { status: 'Enabled' } },
        parent,
      );
    }
    if (args.lifecycleRules && args.lifecycleRules.length > 0) {
      new aws.s3.BucketLifecycleConfiguration(
        name,
        { bucket: this.bucket.id, rules: args.lifecycleRules },
        parent,
      );
    }
    this.registerOutputs({ bucket: this.bucket.id, arn: this.bucket.arn });
  }
}
