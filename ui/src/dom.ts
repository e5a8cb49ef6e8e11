/**
 * The one way the page makes DOM: elements with attributes and text nodes. Nothing is ever parsed
 * as HTML (no innerHTML, no insertAdjacentHTML), so a stored state that holds markup is shown as the
 * text it is.
 */
export type Child = Node | string | number | false | null | undefined | Child[];

export interface Props {
  [attribute: string]: string | number | boolean | undefined | Record<string, (event: any) => void>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'on') {
      for (const [type, listener] of Object.entries(value as Record<string, (event: Event) => void>)) element.addEventListener(type, listener);
      continue;
    }
    // Handlers only as listeners: an on* attribute would be script in text (and CSP refuses it).
    if (/^on/i.test(name)) throw new Error(`event handler attributes are not used: ${name}`);
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}
