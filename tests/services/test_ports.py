"""The built-in defaults of the services and the load generator agree with ports.env.

ports.env is where the demo's ports are written; the packages keep defaults of their own (they
run without the repository, in the Docker image or after `pip install`), checked here.
"""

from __future__ import annotations

import pytest

import bookshop_frontend
import bookshop_loadgen.cli
from tests.services.stack import SETTINGS, VALUES
from tests.stack import DEMO_PORTS


@pytest.mark.parametrize("service", [pytest.param(name, id=name) for name in SETTINGS])
def test_a_service_listens_on_its_ports_env_port_by_default(service: str) -> None:
    settings_cls = SETTINGS[service]
    settings = settings_cls.from_env({name: VALUES[name] for name in settings_cls.required_env})
    assert settings.base.port == DEMO_PORTS[f"{service.upper()}_PORT"]


def test_the_frontend_links_and_the_load_generator_default_to_ports_env() -> None:
    zipkin = f"http://127.0.0.1:{DEMO_PORTS['ZIPKIN_PORT']}"
    defaults = {
        "frontend zipkin": bookshop_frontend.settings.DEFAULT_ZIPKIN_UI_URL,
        "frontend jaeger": bookshop_frontend.settings.DEFAULT_JAEGER_UI_URL,
        "loadgen url": bookshop_loadgen.cli.DEFAULT_URL,
        "loadgen zipkin": bookshop_loadgen.cli.DEFAULT_ZIPKIN_UI,
    }
    assert defaults == {
        "frontend zipkin": zipkin,
        "frontend jaeger": f"http://127.0.0.1:{DEMO_PORTS['JAEGER_QUERY_PORT']}",
        "loadgen url": f"http://127.0.0.1:{DEMO_PORTS['FRONTEND_PORT']}",
        "loadgen zipkin": zipkin,
    }
