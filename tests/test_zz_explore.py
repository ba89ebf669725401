from tests.test_metrics import *  # noqa
from attribution import report
def test_x(tmp_path):
    with Pipeline.open(make_settings(tmp_path)) as pipe:
        load_fixture(pipe, tmp_path)
        r = report.build(pipe.warehouse, report.ReportSpec(Period.week(WEEK), models=MODELS, primary="linear", trend_weeks=3), Path("/tmp/rx"), base_currency="USD")
        print(r)
