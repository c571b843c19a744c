/**
 * The trust policy of a role that one AWS service (e.g. ecs-tasks.amazonaws.com) assumes on
 * the role's behalf: the same document for every component's role, only the principal differs.
 */
export function assumeRolePolicyFor(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: service },
      },
    ],
  });
}
