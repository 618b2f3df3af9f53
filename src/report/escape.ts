const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML and XML bodies and attributes. */
export function escapeXml(s: string): string {
  // Control characters other than tab/newline are not allowed in XML 1.0.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
