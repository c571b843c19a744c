import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { assumeRolePolicyFor } from './aws-assume-role-policy';

export interface LambdaFunctionSpec {
  name: string;
  runtime: string;
  handler: string;
  memoryMb: number;
  timeoutSeconds: number;
  code: string;
  environment?: Record<string, string>;
}

export interface AwsLambdaFunctionArgs {
  spec: LambdaFunctionSpec;
  functionName: string;
  logRetentionDays: number;
  vpc?: { subnetIds: pulumi.Input<string[]>; securityGroupId: pulumi.Input<string> };
}

/** The file the handler's module part names, with the extension the runtime loads. */
export function handlerFile(runtime: string, handler: string): string {
  const module = handler.slice(0, handler.lastIndexOf('.'));
  return `${module}${runtime.startsWith('python') ? '.py' : '.js'}`;
}

/**
 * A Lambda function from inline source, with its own role (logs, plus VPC access when it
 * runs in the private subnets) and a log group created first so retention applies from the
 * first invocation.
 */
export class AwsLambdaFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;

  constructor(name: string, args: AwsLambdaFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:LambdaFunction', name, {}, opts);
    const parent = { parent: this };
    const spec = args.spec;

    const role = new aws.iam.Role(
      name,
      {
        assumeRolePolicy: assumeRolePolicyFor('lambda.amazonaws.com'),
      },
      parent,
    );
    const policy = args.vpc
      ? 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'
      : 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
    const attachment = new aws.iam.RolePolicyAttachment(
      name,
      { role: role.name, policyArn: policy },
      parent,
    );
    const logGroup = new aws.cloudwatch.LogGroup(
      name,
      { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays },
      parent,
    );
    this.function = new aws.lambda.Function(
      name,
      {
        name: args.functionName,
        runtime: spec.runtime,
        handler: spec.handler,
        memorySize: spec.memoryMb,
        timeout: spec.timeoutSeconds,
        role: role.arn,
        code: new pulumi.asset.AssetArchive({
          [handlerFile(spec.runtime, spec.handler)]: new pulumi.asset.StringAsset(spec.code),
        }),
        environment: spec.environment ? { variables: spec.environment } : undefined,
        vpcConfig: args.vpc
          ? { subnetIds: args.vpc.subnetIds, securityGroupIds: [args.vpc.securityGroupId] }
          : undefined,
        loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
      },
      { ...parent, dependsOn: [attachment, logGroup] },
    );
    this.registerOutputs({ arn: this.function.arn });
  }
}
