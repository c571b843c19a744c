import type { Blueprint } from '../lib/types';

interface ServiceSizes {
  web: number;
  llm: number;
}

/**
 * The four containers of seed 002: the React frontend behind Nginx takes every path, the
 * FastAPI backend /api/*, and Ollama and Qdrant stay private, reached by Service Connect name.
 */
function services(count: ServiceSizes): Record<string, unknown>[] {
  return [
    {
      name: 'frontend',
      image: 'ghcr.io/querygpt/frontend:1.0.0',
      port: 80,
      cpu: 256,
      memory: 512,
      desiredCount: count.web,
      public: true,
      healthCheckPath: '/',
    },
    {
      name: 'backend',
      image: 'ghcr.io/querygpt/backend:1.0.0',
      port: 8000,
      cpu: 1024,
      memory: 2048,
      desiredCount: count.web,
      public: true,
      pathPatterns: ['/api/*'],
      healthCheckPath: '/health',
      environment: { OLLAMA_URL: 'http://ollama:11434', QDRANT_URL: 'http://qdrant:6333' },
    },
    {
      name: 'ollama',
      image: 'ollama/ollama:0.6.8',
      port: 11434,
      cpu: 4096,
      memory: 16384,
      desiredCount: count.llm,
      persistentPath: '/root/.ollama',
    },
    {
      name: 'qdrant',
      image: 'qdrant/qdrant:v1.13.4',
      port: 6333,
      cpu: 1024,
      memory: 4096,
      // Qdrant on one shared volume is a single writer: never run two tasks.
      desiredCount: 1,
      persistentPath: '/qdrant/storage',
    },
  ];
}

export const querygptAws: Blueprint = {
  name: 'querygpt-aws',
  version: '1.0.0',
  description:
    'QueryGPT (seed 002): multi-AZ VPC with a security group per tier and WAF, an ALB in front of Fargate services for the frontend, FastAPI backend, Ollama LLM and Qdrant vector database, PostgreSQL for application state, versioned document storage, CloudWatch alarms',
  seeds: ['002'],
  layers: {
    network: { target: 'aws', config: { waf: { enabled: true, rateLimitPerIp: 2000 } } },
    data: { target: 'aws', config: { databaseName: 'querygpt', username: 'querygpt' } },
    storage: { target: 'aws' },
    compute: { target: 'aws', config: { mode: 'ecs', services: services({ web: 1, llm: 1 }) } },
    observability: { target: 'aws', config: { logGroups: ['app', 'audit'] } },
  },
  stages: {
    staging: { compute: { services: services({ web: 2, llm: 1 }) } },
    prod: {
      data: { backupRetentionDays: 14 },
      storage: { noncurrentVersionExpirationDays: 365 },
      compute: { services: services({ web: 2, llm: 2 }), containerInsights: true },
    },
  },
  notes: [
    "Compute is ECS on Fargate, not EKS: four containers with no Kubernetes-specific needs run without a cluster to upgrade or nodes to patch, which matches the seed's one-Terraform-file-per-service layout (LLM.tf, VectorDB.tf, Application.tf, Frontend.tf).",
    'The load balancer plays the seed\'s Nginx reverse proxy: "/" goes to the frontend, "/api/*" to the backend; Ollama and Qdrant are private and reached at http://ollama:11434 and http://qdrant:6333 through ECS Service Connect.',
    'Qdrant data and Ollama model weights live on encrypted EFS volumes ("persistent volume" in the seed) with AWS Backup daily snapshots in staging and prod; EFS is network storage, not the seed\'s local SSD.',
    'Ollama runs on CPU (Fargate has no GPUs); a GPU host would need EKS or ECS on EC2 with g-class instances.',
    "Application state is RDS PostgreSQL with automated backups and point-in-time recovery (the seed's WAL archiving); multi-AZ, encrypted and deletion-protected in prod.",
    'Uploaded documents go to a versioned, encrypted, private S3 bucket with access logging and lifecycle to IA/Glacier. Cross-region replication, named in the seed, is left out: it needs a second region and bucket that a single-region environment does not have.',
    "WAF (per-IP rate limit and SQL-injection rules) is on in every stage, as the seed's security diagram puts it in front of the frontend. TLS needs an ACM certificate for your domain: set layers.compute.config.certificateArn and the ALB serves HTTPS and redirects HTTP.",
    "Secrets (the seed's Secrets.tf) are SSM SecureString parameters that ECS injects as DB_PASSWORD, DATABASE_URL, STORAGE_ACCESS_KEY and STORAGE_SECRET_KEY; they never appear in a task definition.",
    "Monitoring: CloudWatch logs per service, 5xx-rate and p95-latency alarms on the ALB to SNS, a dashboard, Container Insights in prod. Left out: the seed's auth service and API gateway (application components, not infrastructure) and CI/CD image scanning.",
    "Container images are placeholders (ghcr.io/querygpt/*): set layers.compute.config.services with your registry's images.",
  ],
};
