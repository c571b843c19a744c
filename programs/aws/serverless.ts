import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { AwsLambdaFunction, type LambdaFunctionSpec } from '../components/aws-lambda-function';
import { logRetentionSchema } from '../components/aws-log-retention';
import { AWS_REGION_PATTERN, awsProvider, layerRegion } from '../components/aws-provider';
import { failOn, usedTwice } from '../lib/config';
import { defineLayer, dependencyOutput } from '../lib/types';

const HELLO = "exports.handler = async () => ({ statusCode: 200, body: 'ok' });\n";

const lambdaFunction = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z][a-z0-9-]{0,22}$',
      description: 'Function name inside the environment (also its API path)',
    }),
    runtime: Type.Union(
      ['nodejs22.x', 'nodejs20.x', 'python3.13', 'python3.12'].map((r) => Type.Literal(r)),
      { default: 'nodejs22.x', description: 'Lambda runtime' },
    ),
    handler: Type.String({
      default: 'index.handler',
      pattern: '^[A-Za-z0-9_/-]+\\.[A-Za-z0-9_]+$',
      description: 'file.function; the file is written with the runtime extension (.js or .py)',
    }),
    memoryMb: Type.Integer({
      default: 256,
      minimum: 128,
      maximum: 10240,
      description: 'Memory, MiB',
    }),
    timeoutSeconds: Type.Integer({
      default: 30,
      minimum: 1,
      maximum: 900,
      description: 'Timeout, seconds',
    }),
    code: Type.String({
      default: HELLO,
      minLength: 1,
      maxLength: 65536,
      description: 'Inline source of the handler file',
    }),
    environment: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$' }), Type.String(), {
        description: 'Plain environment variables',
      }),
    ),
  },
  { additionalProperties: false },
);

export const awsServerlessConfig = Type.Object(
  {
    region: Type.Optional(
      Type.String({
        pattern: AWS_REGION_PATTERN,
        description: "AWS region; default: the network layer's",
      }),
    ),
    functions: Type.Array(lambdaFunction, {
      default: [],
      maxItems: 20,
      description: 'Lambda functions',
    }),
    exposure: Type.Union([Type.Literal('functionUrl'), Type.Literal('httpApi')], {
      default: 'functionUrl',
      description: 'A function URL per function, or one API Gateway HTTP API routing /<name>',
    }),
    functionUrlAuth: Type.Union([Type.Literal('AWS_IAM'), Type.Literal('NONE')], {
      default: 'AWS_IAM',
      description: 'Function URL auth: AWS_IAM (signed requests) or NONE (public)',
    }),
    vpcAccess: Type.Boolean({
      default: false,
      description: 'Run in the private subnets with the app security group (reaches the database)',
    }),
    logRetentionDays: logRetentionSchema(14),
  },
  { additionalProperties: false },
);

export const awsServerless = defineLayer({
  target: 'aws',
  layer: 'serverless',
  description:
    'Lambda functions from inline code, exposed by function URLs or an API Gateway HTTP API',
  config: awsServerlessConfig,
  presets: {
    dev: { logRetentionDays: 7 },
    staging: { logRetentionDays: 30 },
    prod: { logRetentionDays: 90 },
  },
  outputs: [
    {
      name: 'functionUrls',
      env: 'FUNCTION_URLS',
      description: 'Function name to URL (functionUrl exposure)',
    },
    {
      name: 'apiEndpoint',
      env: 'API_ENDPOINT',
      description: 'HTTP API base URL (httpApi exposure)',
    },
    { name: 'functionNames', env: 'FUNCTION_NAMES', description: 'Deployed Lambda function names' },
  ],
  check: (cfg) => usedTwice(cfg.functions, 'layers.serverless.config.functions'),
  program: (args) => async () => {
    const cfg = args.config;
    failOn(usedTwice(cfg.functions, 'layers.serverless.config.functions'));
    const provider = awsProvider(args, 'serverless', layerRegion(args, cfg.region));
    const opts = { providers: [provider] };
    const vpc = cfg.vpcAccess
      ? {
          subnetIds: dependencyOutput<string[]>(args, 'network', 'privateSubnetIds'),
          securityGroupId: dependencyOutput(args, 'network', 'appSecurityGroupId'),
        }
      : undefined;

    const functions = cfg.functions.map((spec) => {
      const functionName = `${args.environment}-${spec.name}`;
      return new AwsLambdaFunction(
        functionName,
        {
          spec: spec as LambdaFunctionSpec,
          functionName,
          logRetentionDays: cfg.logRetentionDays,
          vpc,
        },
        opts,
      );
    });
    const functionNames = pulumi.all(functions.map((f) => f.function.name));

    if (cfg.exposure === 'functionUrl') {
      const urls = functions.map(
        (f, i) =>
          new aws.lambda.FunctionUrl(
            `${args.environment}-${cfg.functions[i]!.name}`,
            { functionName: f.function.name, authorizationType: cfg.functionUrlAuth },
            { provider },
          ),
      );
      return {
        functionUrls: pulumi
          .all(urls.map((u) => u.functionUrl))
          .apply((all) => Object.fromEntries(all.map((url, i) => [cfg.functions[i]!.name, url]))),
        functionNames,
      };
    }

    const api = new aws.apigatewayv2.Api(
      `${args.environment}-api`,
      { protocolType: 'HTTP', description: `${args.environment} functions` },
      { provider },
    );
    functions.forEach((f, i) => {
      const fnName = cfg.functions[i]!.name;
      const resource = `${args.environment}-${fnName}`;
      const integration = new aws.apigatewayv2.Integration(
        resource,
        {
          apiId: api.id,
          integrationType: 'AWS_PROXY',
          integrationUri: f.function.invokeArn,
          payloadFormatVersion: '2.0',
        },
        { provider },
      );
      for (const [suffix, routeKey] of [
        ['root', `ANY /${fnName}`],
        ['proxy', `ANY /${fnName}/{proxy+}`],
      ] as const) {
        new aws.apigatewayv2.Route(
          `${resource}-${suffix}`,
          { apiId: api.id, routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
          { provider },
        );
      }
      new aws.lambda.Permission(
        resource,
        {
          action: 'lambda:InvokeFunction',
          function: f.function.name,
          principal: 'apigateway.amazonaws.com',
          sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
        },
        { provider },
      );
    });
    const stage = new aws.apigatewayv2.Stage(
      `${args.environment}-api`,
      { apiId: api.id, name: '$default', autoDeploy: true },
      { provider },
    );
    return { apiEndpoint: stage.invokeUrl, functionNames };
  },
});
