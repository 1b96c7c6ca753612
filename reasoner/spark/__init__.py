"""dorsum on Apache Spark (the optional extra `dorsum[spark]`): classify_dataframe turns a DataFrame of
flat JSON cases into a DataFrame of results, one row per case (classify.py); read_cases reads JSON
Lines or Parquet (reading.py); write_parquet and write_manifest write the results and a run manifest
(output.py); local_session makes a local SparkSession (session.py); `dorsum spark` is the command around them. Importing this package does not need
PySpark; calling into it does (ImportError with the install hint otherwise)."""

from .classify import INSTALL_HINT, classify_dataframe, require_pyspark
from .reading import read_cases
from .session import local_session

__all__ = ["INSTALL_HINT", "classify_dataframe", "local_session", "read_cases", "require_pyspark"]
