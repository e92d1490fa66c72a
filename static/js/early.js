// Runs before the page is drawn (a blocking script in <head>, from our own origin as the CSP
// asks): marks that scripts run, so that the stylesheet may fold the menu on phones. Without
// scripts the menu stays open and every link is reachable.
"use strict";
document.documentElement.classList.add("js");
