import { Type } from '@sinclair/typebox';
import type { Page, PagePosition } from '../core/store';
import { BadRequestError } from './errors';
import { Nullable } from './schemas/common';

export const DEFAULT_PAGE_SIZE = 50;

export const PageQuery = Type.Object({
  limit: Type.Optional(
    Type.String({
      pattern: '^(?:[1-9][0-9]?|1[0-9]{2}|200)$',
      description: 'a whole number from 1 to 200 (default 50): items per page',
    }),
  ),
  cursor: Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'the nextCursor of the previous page, as it was given',
    }),
  ),
});

export const NextCursor = Nullable(
  Type.String({ description: 'pass as ?cursor= for the next page; null on the last page' }),
);

/**
 * A cursor is the position (sort score and member) of the last item of its page, opaque to
 * clients (base64url of JSON): the next page starts after it, whatever was added meanwhile.
 */
export function encodeCursor(position: PagePosition | undefined): string | null {
  if (!position) return null;
  return Buffer.from(JSON.stringify([position.score, position.member])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): PagePosition | undefined {
  if (cursor === undefined) return undefined;
  const refuse = (): never => {
    throw new BadRequestError(
      'querystring.cursor is not a cursor this API gave: pass the nextCursor of the previous page unchanged, or leave cursor out for the first page',
    );
  };
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return refuse();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'number' ||
    !Number.isFinite(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    parsed[1] === ''
  ) {
    return refuse();
  }
  return { score: parsed[0], member: parsed[1] };
}

/** The page size and start a list route was asked for. */
export function pageRequest(query: { limit?: string; cursor?: string }): {
  limit: number;
  after?: PagePosition;
} {
  return {
    limit: query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit),
    after: decodeCursor(query.cursor),
  };
}

export function nextCursor<T>(page: Page<T>): string | null {
  return encodeCursor(page.next);
}
