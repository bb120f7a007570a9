import type { Files } from '../software/codebase/index.js';

/** A small project written by hand, with the task it answers: the metrics' test material. */
export interface HandMadeProject {
  task: string;
  files: Files;
}

/** Complete and runnable: prints a conversion table and exits 0. */
export const completeProject: HandMadeProject = {
  task: 'A command-line tool that converts temperatures between Celsius and Fahrenheit and prints a conversion table.',
  files: {
    'main.py': `"""Temperature conversion table."""
from converter import celsius_to_fahrenheit, fahrenheit_to_celsius


def print_table(start, stop, step):
    # one row per Celsius value
    for celsius in range(start, stop + 1, step):
        fahrenheit = celsius_to_fahrenheit(celsius)
        back = fahrenheit_to_celsius(fahrenheit)
        print(f"{celsius:>4} C = {fahrenheit:>6.1f} F (back: {back:.1f} C)")


if __name__ == "__main__":
    print("Celsius to Fahrenheit conversion table")
    print_table(-10, 40, 10)
`,
    'converter.py': `def celsius_to_fahrenheit(celsius):
    return celsius * 9 / 5 + 32


def fahrenheit_to_celsius(fahrenheit):
    return (fahrenheit - 32) * 5 / 9
`,
    'README.md': '# Temperatures\n\nRun `python3 main.py`. TODO: add a screenshot.\n',
  },
};

/** Runs and exits 0, but a function body is only `pass` and a comment asks for work. */
export const stubProject: HandMadeProject = {
  task: 'A to-do list manager that adds, lists and removes tasks.',
  files: {
    'main.py': `tasks = []


def add_task(title):
    tasks.append(title)


def remove_task(title):
    pass


def list_tasks():
    # TODO: sort tasks by priority
    for index, title in enumerate(tasks, 1):
        print(index, title)


if __name__ == "__main__":
    add_task("write report")
    add_task("water plants")
    remove_task("write report")
    list_tasks()
`,
  },
};

/** Complete code that crashes with a traceback when run. */
export const crashingProject: HandMadeProject = {
  task: 'A calculator that evaluates arithmetic expressions and prints the average of a list of numbers.',
  files: {
    'main.py': `def average(numbers):
    return sum(numbers) / len(numbers)


def evaluate(expression):
    left, operator, right = expression.split()
    a, b = float(left), float(right)
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[operator]


if __name__ == "__main__":
    print(evaluate("6 * 7"))
    print(average([]))
`,
  },
};

/** Exits with status 2 after printing a message, without a traceback: the two executability rules disagree. */
export const quietFailureProject: HandMadeProject = {
  task: 'A tool that reads a configuration file and prints its settings.',
  files: {
    'main.py': `import os
import sys


def read_settings(path):
    with open(path) as handle:
        return dict(line.strip().split("=", 1) for line in handle if "=" in line)


if __name__ == "__main__":
    path = "settings.ini"
    if not os.path.exists(path):
        print("settings.ini not found", file=sys.stderr)
        sys.exit(2)
    for key, value in read_settings(path).items():
        print(key, value)
`,
  },
};

/** A GUI-like program: opens its "window", then runs an event loop that never ends on its own. */
export const guiLikeProject: HandMadeProject = {
  task: 'A desktop stopwatch window that shows the elapsed time and redraws it every frame.',
  files: {
    'main.py': `import time


class StopwatchWindow:
    def __init__(self):
        self.started = time.monotonic()
        self.frames = 0

    def draw_frame(self):
        self.frames += 1
        elapsed = time.monotonic() - self.started
        return f"elapsed {elapsed:.1f} s"

    def event_loop(self):
        print("stopwatch window opened", flush=True)
        while True:
            self.draw_frame()
            time.sleep(0.05)


if __name__ == "__main__":
    StopwatchWindow().event_loop()
`,
  },
};

/** An HTTP server listening on 127.0.0.1 (a free port) until it is stopped. */
export const serverProject: HandMadeProject = {
  task: 'A web server that listens on localhost and answers every request with a greeting page.',
  files: {
    'main.py': `from http.server import BaseHTTPRequestHandler, HTTPServer


class GreetingHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        page = b"<h1>Hello from the greeting server</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(page)


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", 0), GreetingHandler)
    print("listening on 127.0.0.1 port", server.server_address[1], flush=True)
    server.serve_forever()
`,
  },
};

/** A JavaScript program that crashes with an uncaught error: Node.js prints a stack instead of a traceback. */
export const crashingScriptProject: HandMadeProject = {
  task: 'A command-line tool that prints the total price of a shopping cart.',
  files: {
    'main.js': `const cart = [{ name: 'apple', price: 0.5 }, { name: 'bread', price: 2.25 }];

function totalPrice(items) {
  return items.reduce((sum, item) => sum + item.price, 0);
}

console.log('total price:', totalPrice(cart).toFixed(2));
console.log('discounted:', applyDiscount(totalPrice(cart)));
`,
  },
};
