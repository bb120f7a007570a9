/**
 * Prompt templates of the software chain, written for crosstalk. `{{name}}`
 * placeholders are filled by `renderTemplate`; a missing value is an error.
 *
 * Protocol conventions the parsers (and the simulated model) rely on:
 * - choices end with `<INFO> <choice>` after a `Choose one of: a, b, c.` line;
 * - files are written as a file-name line followed by a fenced code block;
 * - a reviewer with nothing left to fix answers `<INFO> Finished`.
 */
export const prompts = {
  demandAnalysis: `Task: {{task}}

A customer asked for the software above. Before anyone writes code, agree with me on the form the product should take: how will people use it?
Choose one of: Command-line application, Desktop application, Web page, Library, Game.
Discuss briefly, then give the decision on a line of its own as "<INFO> <product form>".`,

  languageChoice: `Task: {{task}}
Product form: {{modality}}

Choose the programming language for this product. It must run with the standard tools of a plain Linux machine and need no packages that cannot be installed from the language's own package index.
Choose one of: {{languages}}.
Give the decision on a line of its own as "<INFO> <language>".`,

  coding: `Task: {{task}}
Product form: {{modality}}
Programming language: {{language}}
{{ideas}}
Write the complete program. Start with the main entry file ({{entry}}) and add the modules it needs. Implement every function fully: no placeholders, no "pass" bodies, no TODO comments. The program must start without arguments. A program that does its work and is done exits on its own after showing what it does; a program meant to keep running (a desktop window, a game, a server listening on 127.0.0.1) may run until it is closed, but it must start without errors.

Write every file as its file name on a line of its own (for example {{entry}}), followed by a fenced code block with the whole file.`,

  completion: `Task: {{task}}
Programming language: {{language}}

The file {{file}} in the code below still has unimplemented parts ({{unfinished}}). Implement them completely, keeping the rest of the program working. Return {{file}} and any other file you change, each as its file name on a line of its own followed by a fenced code block with the whole file.

{{codebase}}`,

  reviewComment: `Task: {{task}}
Programming language: {{language}}

Review the code below. Check that it does what the task asks, that every function is implemented, that it starts without arguments (and exits on its own, unless it is meant to keep running like a desktop window, a game or a server), and that errors are handled.
If you find problems, describe the single most important one and how to fix it.
If there is nothing left to fix, reply only with "<INFO> Finished".

{{codebase}}`,

  reviewModify: `Task: {{task}}
Programming language: {{language}}

A reviewer commented on the code below:
"{{comments}}"

Revise the code to address the comment. Return every file you change, each as its file name on a line of its own followed by a fenced code block with the whole file.

{{codebase}}`,

  testSummary: `Task: {{task}}
Programming language: {{language}}

You ran "{{command}}" in a sandbox and it failed ({{outcome}}). Its output ends with:
\`\`\`
{{report}}
\`\`\`
Read the program below and tell the programmer what went wrong: the error, where in the program it starts, and its most likely cause. Describe it in a few sentences; do not rewrite the program yourself.

{{codebase}}`,

  testFix: `Task: {{task}}
Programming language: {{language}}

Running "{{command}}" in a sandbox failed ({{outcome}}). Its output ends with:
\`\`\`
{{report}}
\`\`\`
The tester's summary of the failure:
"{{summary}}"

Fix the cause. Return every file you change, each as its file name on a line of its own followed by a fenced code block with the whole file.

{{codebase}}`,

  environmentDoc: `Task: {{task}}
Programming language: {{language}}

List the dependencies the program below needs so a user can install them in one step.
Produce the file: {{dependencyFile}}
Write it as its file name on a line of its own followed by a fenced code block.

{{codebase}}`,

  manual: `Task: {{task}}
Programming language: {{language}}

Write the user manual for the program below: what it does, how to install what it needs, how to run it ({{runCommand}}), and how to use each feature.
Produce the file: README.md
Write it as its file name on a line of its own followed by a fenced code block (use indented code samples inside it, not nested fences).

{{codebase}}`,

  missingCode: `Your reply contained no files. Write every file as its file name on a line of its own followed by a fenced code block with the whole file.`,
} as const;

/** Name of a prompt template. */
export type PromptName = keyof typeof prompts;
