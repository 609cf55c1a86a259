// The Pulumi program: composes the kit's components from stack config.
export {};
