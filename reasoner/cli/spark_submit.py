"""The Python file spark-submit runs for `dorsum spark` (spark-submit takes a .py file, not a command):

    spark-submit --master yarn "$(python -c 'import reasoner.cli.spark_submit as m; print(m.__file__)')" \
        cases.jsonl --out results/ --partition-by urgency_level

takes `dorsum spark`'s arguments and options."""

import sys

if __name__ == "__main__":
    from reasoner.cli import main

    main(["spark", *sys.argv[1:]], prog_name="dorsum spark")
