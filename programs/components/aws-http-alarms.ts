import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface HttpMetricSource {
  namespace: string;
  dimensions: Record<string, pulumi.Input<string>>;
  errorCountMetrics: string[];
  requestCountMetric: string;
  latencyMetric: string;
  /** Multiplier from the configured milliseconds to the metric's unit (ALB reports seconds). */
  latencyUnitPerMs: number;
}

export interface AwsHttpAlarmsArgs {
  source: HttpMetricSource;
  topicArn: pulumi.Input<string>;
  errorRatePercent: number;
  errorEvaluationMinutes: number;
  p95LatencyMs: number;
  latencyEvaluationMinutes: number;
}

/**
 * The two alarms seed 004 asks for, in CloudWatch terms: the 5xx share of requests over a
 * threshold for N minutes, and p95 latency over a threshold for M minutes; both notify SNS,
 * and also when they recover.
 */
export class AwsHttpAlarms extends pulumi.ComponentResource {
  readonly errorRate: aws.cloudwatch.MetricAlarm;
  readonly latency: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: AwsHttpAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:HttpAlarms', name, {}, opts);
    const parent = { parent: this };
    const src = args.source;
    const metric = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: {
        namespace: src.namespace,
        metricName,
        dimensions: src.dimensions,
        period: 60,
        stat: 'Sum',
      },
    });
    const errorIds = src.errorCountMetrics.map((_, i) => `e${i}`);
    const errorSum = errorIds.map((id) => `FILL(${id}, 0)`).join(' + ');

    this.errorRate = new aws.cloudwatch.MetricAlarm(
      `${name}-5xx-rate`,
      {
        alarmDescription: `More than ${args.errorRatePercent}% of requests answered 5xx for ${args.errorEvaluationMinutes} minutes`,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: args.errorRatePercent,
        evaluationPeriods: args.errorEvaluationMinutes,
        datapointsToAlarm: args.errorEvaluationMinutes,
        treatMissingData: 'notBreaching',
        metricQueries: [
          ...src.errorCountMetrics.map((m, i) => metric(errorIds[i]!, m)),
          metric('requests', src.requestCountMetric),
          {
            id: 'rate',
            label: '5xx %',
            returnData: true,
            // No traffic is not an error: avoid dividing by zero.
            expression: `IF(FILL(requests, 0) > 0, 100 * (${errorSum}) / requests, 0)`,
          },
        ],
        alarmActions: [args.topicArn],
        okActions: [args.topicArn],
      },
      parent,
    );
    this.latency = new aws.cloudwatch.MetricAlarm(
      `${name}-p95-latency`,
      {
        alarmDescription: `p95 latency above ${args.p95LatencyMs} ms for ${args.latencyEvaluationMinutes} minutes`,
        namespace: src.namespace,
        metricName: src.latencyMetric,
        dimensions: src.dimensions,
        extendedStatistic: 'p95',
        period: 60,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: args.p95LatencyMs * src.latencyUnitPerMs,
        evaluationPeriods: args.latencyEvaluationMinutes,
        datapointsToAlarm: args.latencyEvaluationMinutes,
        treatMissingData: 'notBreaching',
        alarmActions: [args.topicArn],
        okActions: [args.topicArn],
      },
      parent,
    );
    this.registerOutputs({ errorRate: this.errorRate.arn, latency: this.latency.arn });
  }
}
