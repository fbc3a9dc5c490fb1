/**
 * A refusal by the API, with its code from the register's error catalogue (README, "Errors"). The
 * page shows a person the code in words (language.ts, `failureText`); the message is the register's
 * English, for developers.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    /** The answer's HTTP status. */
    readonly status: number,
  ) {
    super(message);
  }
}

export type Send = <Data>(query: string, variables?: Record<string, unknown>, signal?: AbortSignal) => Promise<Data>;

/**
 * Sends an operation over HTTP with the school's token. Data that came back is used even when a
 * field failed; an answer without data is an ApiError (UNAUTHENTICATED: the token no longer counts).
 */
export function apiClient(url: string, token: string): Send {
  return async <Data>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal) => {
    const response = await fetch(url, {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json().catch(() => ({}))) as { data?: Data | null; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.data) return body.data;
    const error = body.errors?.[0];
    throw new ApiError(error?.message ?? `The register answered HTTP ${response.status}`, error?.extensions?.code, response.status);
  };
}

/** The school a vendor's token acts for, read from the token itself; the gateway checks the rest. */
export function schoolOfToken(token: string): string | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    const claims = JSON.parse(json) as { role?: unknown; school?: unknown };
    return claims.role === 'VENDOR' && typeof claims.school === 'string' ? claims.school : undefined;
  } catch {
    return undefined;
  }
}
