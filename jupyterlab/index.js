// The lessons' JupyterLab: which plugins it has. webpack.config.js bundles this file (and reads
// the import("@jupyterlab/...-extension") lines below to copy their settings and themes).
import { JupyterLab } from "@jupyterlab/application";
import { PageConfig } from "@jupyterlab/coreutils";

// Chunks and assets load from the server's static URL; set before anything else loads.
// eslint-disable-next-line no-undef
__webpack_public_path__ = PageConfig.getOption("fullStaticUrl") + "/";

const styles = import("./build/style.js").then(() => import("./lessons.css")); // style.js: written by webpack.config.js

/** Drop the plugins whose id contains one of `words`. */
const without = (words) => (mod) => mod.default.filter(({ id }) => !words.some((w) => id.includes(w)));

const extensions = [
  import("@jupyterlab/application-extension"),
  // "announcements" fetches news and checks for updates on the web: off, the lessons are offline.
  import("@jupyterlab/apputils-extension").then(without([":announcements"])),
  import("@jupyterlab/celltags-extension"),
  import("@jupyterlab/codemirror-extension"),
  import("@jupyterlab/completer-extension"),
  import("@jupyterlab/console-extension"),
  import("@jupyterlab/docmanager-extension"),
  import("@jupyterlab/documentsearch-extension"),
  import("@jupyterlab/filebrowser-extension"),
  // Language servers need the jupyter-lsp server extension, which Debian does not package.
  import("@jupyterlab/fileeditor-extension").then(without([":language-server"])),
  import("@jupyterlab/imageviewer-extension"),
  import("@jupyterlab/inspector-extension"),
  import("@jupyterlab/launcher-extension"),
  import("@jupyterlab/mainmenu-extension"),
  import("@jupyterlab/markdownviewer-extension"),
  import("@jupyterlab/markedparser-extension"),
  import("@jupyterlab/mathjax-extension"), // MathJax 3, bundled: LaTeX renders with no network
  import("@jupyterlab/metadataform-extension"),
  import("@jupyterlab/notebook-extension").then(without([":language-server"])),
  import("@jupyterlab/rendermime-extension"),
  import("@jupyterlab/running-extension"),
  import("@jupyterlab/settingeditor-extension"),
  import("@jupyterlab/shortcuts-extension"),
  import("@jupyterlab/statusbar-extension"),
  import("@jupyterlab/theme-dark-extension"),
  import("@jupyterlab/theme-light-extension"),
  import("@jupyterlab/toc-extension"),
  import("@jupyterlab/tooltip-extension"),
  import("@jupyterlab/translation-extension"),
  import("@jupyterlab/ui-components-extension"),
  // Not included: help (links to web sites), the extension manager (needs PyPI), terminals,
  // PDF and CSV viewers, debugger.
];

const mimeExtensions = [
  import("@jupyterlab/json-extension"),
  // plotly's own renderer for application/vnd.plotly.v1+json (the figures of the lessons). Only its
  // mime renderer: the package's other plugin is for ipywidgets, which the lessons do not use.
  import("jupyterlab-plotly/lib/plotly-renderer"),
];

window.addEventListener("load", async () => {
  await styles;
  const lab = new JupyterLab({ mimeExtensions: await Promise.all(mimeExtensions) });
  lab.registerPluginModules(await Promise.all(extensions));
  await lab.start();
  await lab.restored;
  // The browser check waits for this marker.
  document.body.dataset.qkvLabReady = "true";
});
