// Static credentials: the root user plus optional extra users from a file.
export interface CredentialEntry {
  readonly secretKey: string;
  readonly isRoot: boolean;
}

export interface CredentialStore {
  lookup(accessKey: string): CredentialEntry | undefined;
}
