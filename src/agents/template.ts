import { ConfigError } from '../errors/index.js';

/**
 * Renders `{{name}}` placeholders from typed variables. A placeholder without
 * a value is an error (a prompt with a hole in it is a bug, not a prompt).
 */
export function renderTemplate(
  template: string,
  variables: Readonly<Record<string, string | number | undefined>>,
): string {
  return template.replace(/\{\{\s*([a-zA-Z][\w]*)\s*\}\}/g, (_, name: string) => {
    const value = variables[name];
    if (value === undefined)
      throw new ConfigError({ key: name, message: `prompt template needs '{{${name}}}' but no value was given` });
    return String(value);
  });
}
