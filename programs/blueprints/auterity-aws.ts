import type { Blueprint } from '../lib/types';

const ZONES = ['us-west-2a', 'us-west-2b', 'us-west-2c'];

export const auterityAws: Blueprint = {
  name: 'auterity-aws',
  version: '1.0.0',
  description:
    'Auterity Unified (seed 004), "recommended configuration": three-AZ VPC with flow logs and WAF, EKS with a managed node group in private subnets, Multi-AZ RDS PostgreSQL, ElastiCache Redis, versioned S3 with lifecycle and access logs, CloudWatch alarms',
  seeds: ['004'],
  layers: {
    network: {
      target: 'aws',
      config: {
        region: 'us-west-2',
        availabilityZones: ZONES,
        cidrBlock: '10.0.0.0/16',
        flowLogs: true,
        waf: { enabled: true, rateLimitPerIp: 1000 },
      },
    },
    data: {
      target: 'aws',
      config: {
        engineVersion: '17',
        databaseName: 'auterity',
        username: 'auterity',
        backupWindow: '03:00-04:00',
        maintenanceWindow: 'sun:04:30-sun:05:30',
        cache: { enabled: true, engineVersion: '7.1', nodeType: 'cache.t4g.micro', replicas: 0 },
      },
    },
    storage: {
      target: 'aws',
      config: {
        versioning: true,
        transitionToIaDays: 30,
        transitionToGlacierDays: 90,
        expirationDays: 365,
        accessLogging: true,
      },
    },
    compute: {
      target: 'aws',
      config: { mode: 'eks', kubernetesVersion: '1.35', nodeInstanceTypes: ['t3.medium'] },
    },
    observability: {
      target: 'aws',
      config: {
        metricsNamespace: 'Auterity',
        errorRatePercent: 1,
        errorEvaluationMinutes: 2,
        p95LatencyMs: 500,
        latencyEvaluationMinutes: 5,
        logGroups: ['autmatrix', 'relaycore', 'neuroweaver'],
      },
    },
  },
  stages: {
    staging: {
      data: {
        cache: { enabled: true, engineVersion: '7.1', nodeType: 'cache.t3.medium', replicas: 1 },
      },
    },
    prod: {
      network: { azCount: 3, natGateways: 'perAz' },
      data: {
        instanceClass: 'db.t3.large',
        allocatedStorageGb: 100,
        backupRetentionDays: 7,
        cache: {
          enabled: true,
          engineVersion: '7.1',
          nodeType: 'cache.t3.medium',
          replicas: 1,
          snapshotRetentionDays: 7,
        },
      },
      compute: {
        nodeInstanceTypes: ['m5.large', 'm5a.large', 'm5n.large'],
        nodeCapacityType: 'ON_DEMAND',
        nodeMinSize: 3,
        nodeMaxSize: 10,
        nodeDesiredSize: 3,
      },
    },
  },
  notes: [
    "Kubernetes 1.35 instead of the seed's 1.28 (EKS support, extended included, ended in 2025); 1.35 is in EKS standard support until March 2027.",
    "PostgreSQL 17 (newest minor, auto minor upgrades) instead of the seed's 15.4, a minor RDS no longer offers; Redis 7.1 instead of 7.0.",
    "Prod follows the seed's recommended configuration: us-west-2a/b/c, 10.0.0.0/16 with /24 public (10.0.1-3), private (10.0.11-13) and database (10.0.21-23) subnets, NAT per AZ, flow logs to S3; EKS nodes m5.large/m5a.large/m5n.large ON_DEMAND, 3-10 (3 desired), private subnets only; RDS db.t3.large, 100 GiB, Multi-AZ, encrypted, deletion protection, 7-day backups at 03:00-04:00, maintenance sun:04:30-05:30; Redis cache.t3.medium with one replica (2 nodes), failover and Multi-AZ, encrypted at rest and in transit; S3 versioned, 30 days to STANDARD_IA, 90 to GLACIER, expiry at 365, SSE, access logs under s3-access-logs/.",
    'Dev follows the seed\'s "current" shape where it is safe: t3.medium nodes, 1-3; two AZs (the minimum for RDS subnet groups), one NAT, a single-node cache; encryption stays on everywhere.',
    'WAF: the seed\'s web ACL (per-IP rate limit 1000, AWSManagedRulesSQLiRuleSet). The managed rule group uses override action "none" (AWS refuses "block" on a rule group statement). EKS load balancers come from the AWS Load Balancer Controller: attach the ACL with the ingress annotation alb.ingress.kubernetes.io/wafv2-acl-arn set to the network layer\'s wafAclArn.',
    'Security groups: the seed\'s "api" group is the app tier (any port from the ALB tier only); the ALB tier takes 80/443 from anywhere; RDS and Redis take 5432/6379 from the app tier and the EKS cluster security group only.',
    "Alarms: the seed's HighErrorRate (5xx > 1% for 2 minutes) and APILatencyHigh (p95 > 500 ms for 5 minutes) as CloudWatch alarms on the Auterity namespace, which the services publish to (e.g. through CloudWatch agent / ADOT from Prometheus); notifications go to SNS.",
    'Left out: the cluster autoscaler (a Helm release inside the cluster; the node group min/max are set for it), the Kubernetes Deployments of AutoMatrix, RelayCore and NeuroWeaver (application manifests deployed by CD, not infrastructure), Cognito (no layer for identity in Strata), Prometheus/Grafana and the OpenTelemetry/Jaeger/Loki pipeline (in-cluster workloads), and ECR repositories.',
    "REDIS_URL and DATABASE_URL, the names the seed's deployments read, are the data layer's default bundle names, so the blueprint keeps the default bundle.",
  ],
};
