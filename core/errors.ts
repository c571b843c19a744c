/** Errors the store and the lifecycle raise; the API's error handler maps each to a status. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export class ConflictError extends Error {
  override name = 'ConflictError';
}

/**
 * An attempt lost its lease (its worker stalled past the lease, or Redis did): another attempt
 * may hold the deployment now, so this one must stop and write nothing more.
 */
export class FencedError extends Error {
  override name = 'FencedError';
}
