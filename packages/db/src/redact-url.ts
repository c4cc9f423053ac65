/**
 * The URL with its password masked, for messages and logs.
 *
 * @example
 * redactUrl('postgres://app:s3cret@db:5432/orders'); // 'postgres://app:***@db:5432/orders'
 */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
