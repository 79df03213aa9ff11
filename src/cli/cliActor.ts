import { userInfo } from 'node:os';

/** Who acts from the command line (a review decision, a resolution): --by, else the OS user running the command. */
export function cliActor(by: string | undefined): string {
  if (by !== undefined && by.trim() !== '') return by.trim();
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}
