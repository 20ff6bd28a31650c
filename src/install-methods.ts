// Methods a class gets from another file (its own file per concept, typed on the class by
// interface merging): installed on the class's prototype as its own methods are, not
// enumerable, so that they do not show up as data.

/** Installs each function of `methods` on `cls.prototype` under its name. */
export function installMethods(cls: { prototype: object }, methods: object): void {
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(cls.prototype, name, { value, writable: true, configurable: true, enumerable: false });
  }
}
