"""/docs and /redoc work offline (assets from the package, no CDN) and are off in prod."""

from __future__ import annotations

import re

from core.settings import Settings
from tests.harness import running_api


async def test_swagger_ui_and_redoc_load_every_asset_from_this_server(settings: Settings) -> None:
    async with running_api(settings) as (http, _):
        for page in ("/docs", "/redoc"):
            response = await http.get(page)
            assert response.status_code == 200
            html = response.text
            assert "cdn." not in html and "googleapis" not in html
            assets = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert assets, html
            for asset in assets:
                assert asset.startswith("/docs/assets/"), asset
                fetched = await http.get(asset)
                assert fetched.status_code == 200 and len(fetched.content) > 1000, asset
            csp = response.headers["content-security-policy"]
            assert "https:" not in csp and "cdn" not in csp
        schema = await http.get("/openapi.json")
        assert schema.status_code == 200 and schema.json()["info"]["title"] == "Docketflow"


async def test_prod_serves_no_api_description_unless_turned_on(settings: Settings) -> None:
    prod = settings.model_copy(update={"env": "prod"})
    async with running_api(prod) as (http, _):
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui.css"):
            assert (await http.get(path)).status_code == 404, path
    turned_on = prod.model_copy(update={"api_docs": True})
    async with running_api(turned_on) as (http, _):
        assert (await http.get("/docs")).status_code == 200
