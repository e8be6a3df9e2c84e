"""Headless Chromium for tests: Debian's ``chromium`` driven by Selenium through Debian's
``chromium-driver`` (``make test`` installs both; Selenium's own driver download is never used).

Selenium's calls block, and the stack serves from the test's event loop, so every call goes
through :meth:`Chromium.call` on a worker thread.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
# Set to a folder (docs/images) to keep the screenshots the tests take.
SCREENSHOTS = "GM_SCREENSHOTS"


class Chromium:
    def __init__(self, driver: webdriver.Chrome, shots: Path) -> None:
        self.driver = driver
        self.shots = shots

    async def call(self, action: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(action, *args)

    async def open(self, url: str) -> str:
        """Navigate, wait for the page's main element, and give the page's HTML."""
        await self.call(self.driver.get, url)
        await self.call(
            WebDriverWait(self.driver, 10).until,
            expected_conditions.presence_of_element_located((By.TAG_NAME, "main")),
        )
        return str(await self.call(lambda: self.driver.page_source))

    async def text(self, css: str) -> list[str]:
        found = await self.call(self.driver.find_elements, By.CSS_SELECTOR, css)
        return [str(await self.call(lambda e=e: e.text)) for e in found]

    async def type_into(self, css: str, text: str) -> None:
        element = await self.call(self.driver.find_element, By.CSS_SELECTOR, css)
        await self.call(element.send_keys, text)

    async def click(self, css: str) -> None:
        """Click, and wait for the page the click leads to."""
        element = await self.call(self.driver.find_element, By.CSS_SELECTOR, css)
        await self.call(element.click)
        await self.call(
            WebDriverWait(self.driver, 10).until, expected_conditions.staleness_of(element)
        )
        await self.call(
            WebDriverWait(self.driver, 10).until,
            expected_conditions.presence_of_element_located((By.TAG_NAME, "main")),
        )

    async def screenshot(self, name: str) -> Path:
        """A PNG of the page, as tall as its content; kept in $GM_SCREENSHOTS when set."""
        height = await self.call(
            self.driver.execute_script, "return document.documentElement.scrollHeight"
        )
        await self.call(self.driver.set_window_size, 1100, max(600, int(height) + 40))
        path = self.shots / f"{name}.png"
        assert await self.call(self.driver.save_screenshot, str(path))
        if keep := os.environ.get(SCREENSHOTS):
            shutil.copy(path, Path(keep) / path.name)
        return path


@asynccontextmanager
async def chromium(shots: Path) -> AsyncIterator[Chromium]:
    missing = [p for p in (CHROMIUM, DRIVER) if shutil.which(p) is None]
    assert not missing, f"{missing} missing: `make test` installs Debian's chromium packages"
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1100,900",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    driver = await asyncio.to_thread(
        webdriver.Chrome, options=options, service=Service(executable_path=DRIVER)
    )
    try:
        yield Chromium(driver, shots)
    finally:
        await asyncio.to_thread(driver.quit)
