/**
 * The ids the HTML page's parts are found by, made in one place so that the handover graph's links
 * and the cards they lead to cannot drift apart. Version names are unique in a family, so a
 * version's anchor is unique on the page, and everything of a version is prefixed with it.
 */

/** Lower-case letters, digits and dashes: valid as an HTML id, a CSS selector and an RST label. */
export function anchorOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** The section of one header. */
export function headerAnchor(header: string): string {
  return `header-${anchorOf(header)}`;
}

/** The changelog of one header. */
export function changelogAnchor(header: string): string {
  return `${headerAnchor(header)}-changelog`;
}

/** The section of one version. */
export function versionAnchor(version: string): string {
  return anchorOf(version);
}

/** The card of one struct of a version. */
export function structAnchor(version: string, struct: string): string {
  return `${versionAnchor(version)}-${anchorOf(struct)}`;
}

/** The card that says where a version's state lives (its FDT layout, its KHO entry, where it is reached from). */
export function containerAnchor(version: string): string {
  return `${versionAnchor(version)}-container`;
}
