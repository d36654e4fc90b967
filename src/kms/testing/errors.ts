// Test helper: the KmsError code a promise rejects with ('no error' when it resolves).
import { KmsError } from '../types.ts';

export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KmsError) return error.code;
    throw error;
  }
  return 'no error';
}
