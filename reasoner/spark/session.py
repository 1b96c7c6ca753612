"""The SparkSession a dorsum run uses: the one spark-submit configured (its master and settings), or
a local one for a machine without a cluster (no web UI, bound to the loopback interface, executors
running this interpreter, so they import the same dorsum)."""

from __future__ import annotations

import os
import sys

LOCAL_SETTINGS = {"spark.ui.enabled": "false", "spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1",
                  "spark.sql.shuffle.partitions": "4", "spark.sql.session.timeZone": "UTC",
                  "spark.ui.showConsoleProgress": "false"}


def local_session(master: str = "local[2]", app: str = "dorsum", **conf):
    """A local SparkSession (see the module); conf: more settings, e.g. **{"spark.driver.memory": "4g"}."""
    from .classify import require_pyspark

    require_pyspark()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app).master(master)
    for key, value in {**LOCAL_SETTINGS, **conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def session(master: str | None = None, app: str = "dorsum"):
    """The session of a `dorsum spark` run: under spark-submit, the master it was given (unless
    `master` overrides it); else a local session on `master`, default local[*]."""
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    if "PYSPARK_GATEWAY_PORT" in os.environ:  # started by spark-submit: its JVM and settings
        SparkContext._ensure_initialized()
        conf = SparkConf()
        builder = SparkSession.builder.appName(app)
        if master or not conf.contains("spark.master"):
            builder = builder.master(master or "local[*]")
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("WARN")
        return spark
    return local_session(master or "local[*]", app)
