/**
 * The ids the HTML page's parts are found by, made in one place so that the handover graph's links
 * and the cards they lead to cannot drift apart.
 */

/** Lower-case letters, digits and dashes: valid as an HTML id, a CSS selector and an RST label. */
export function anchorOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** The card of one struct of a version. */
export function structAnchor(versionAnchor: string, struct: string): string {
  return `${versionAnchor}-${anchorOf(struct)}`;
}

/** The card with a version's FDT layout. */
export function fdtLayoutAnchor(versionAnchor: string): string {
  return `${versionAnchor}-fdt-layout`;
}
