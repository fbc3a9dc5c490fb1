import { expect } from 'vitest';
import { RegisterError } from '../kernel/errors.ts';

/** Runs `refuse`, expecting a RegisterError with this code and field whose message contains `says`. */
export function refusal(refuse: () => unknown, code: string, field: string | undefined, says: string): void {
  let thrown: unknown;
  try {
    refuse();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(RegisterError);
  expect(thrown).toMatchObject({ code, field });
  expect((thrown as RegisterError).message).toContain(says);
}
