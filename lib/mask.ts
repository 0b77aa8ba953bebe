/** Masks credentials in DSNs and URLs before they reach a log line or an error message. */
export function maskDsn(dsn: string): string {
  try {
    const u = new URL(dsn);
    if (u.password) u.password = '****';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) u.searchParams.set(key, '****');
    }
    return u.toString();
  } catch {
    // not a URL: hide anything that looks like user:password@
    return dsn.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:****@');
  }
}

/** Replaces every DSN-like substring of free text (error messages, SQL errors). */
export function maskSecretsInText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):([^@\s]*)@/gi, '$1:****@');
}
