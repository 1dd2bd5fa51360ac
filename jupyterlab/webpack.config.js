// Webpack configuration for the lessons' JupyterLab (a development build: fast, and small in
// memory; a production build needs several GB and minutes on a 2-core machine).
// Run by build.sh; the output goes to build/ (git-ignored), which server.py serves.
const fs = require("fs");
const path = require("path");
const webpack = require("webpack");
const miniSVGDataURI = require("mini-svg-data-uri");
const { Build } = require("@jupyterlab/builder");
const DuplicatePackageCheckerPlugin = require("duplicate-package-checker-webpack-plugin");

// The extensions are the ones index.js imports, so that list lives in one place.
const extensions = [...fs.readFileSync(path.join(__dirname, "index.js"), "utf8").matchAll(/import\("(@jupyterlab\/[a-z-]+-extension)"\)/g)].map((m) => m[1]);

const BUILD = path.resolve(__dirname, "build");
const SINGLETONS = /^(@jupyterlab\/|@jupyter\/|@lumino\/|@codemirror\/|@lezer\/|@microsoft\/fast-|yjs$|y-protocols$|react$|react-dom$)/;

// Copies each extension's settings schemas to build/schemas, compiles the light and dark themes
// to build/themes, and writes build/style.js (one import per extension's CSS, used by index.js).
const themeConfigs = Build.ensureAssets({ packageNames: extensions, output: BUILD });

module.exports = [
  {
    mode: "development",
    entry: ["./index.js"],
    output: { path: BUILD, filename: "bundle.js", chunkFilename: "[name].[contenthash:8].js" },
    devtool: false, // source maps would double the build time and the output
    bail: true,
    resolve: {
      // jupyterlab-plotly's renderer loads "plotly.js/dist/plotly"; package.json makes its
      // plotly.js the prebuilt plotly.js-dist-min (no source build), which names the file otherwise.
      alias: { "plotly.js/dist/plotly": require.resolve("plotly.js-dist-min") },
    },
    module: {
      rules: [
        // Some dependencies ship ES modules (.mjs) whose imports omit file extensions.
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
        { test: /\.css$/, use: ["style-loader", "css-loader"] },
        { test: /\.raw\.css$/, type: "asset/source" },
        { test: /\.html$/, type: "asset/resource" },
        { test: /\.md$/, type: "asset/source" },
        { test: /\.(jpg|png|gif)$/, type: "asset/resource" },
        { test: /\.js\.map$/, type: "asset/resource" },
        { test: /\.(woff2?|ttf)(\?v=\d+\.\d+\.\d+)?$/, type: "asset" },
        { test: /\.eot(\?v=\d+\.\d+\.\d+)?$/, type: "asset/resource" },
        // In CSS, SVG icons become data URIs; in JavaScript, raw strings (LabIcon expects that).
        {
          test: /\.svg(\?v=\d+\.\d+\.\d+)?$/,
          issuer: /\.css$/,
          type: "asset/inline",
          generator: { dataUrl: (content) => miniSVGDataURI(content.toString()) },
        },
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.js$/, type: "asset/source" },
      ],
    },
    plugins: [
      // Some packages call process.cwd() (the path polyfill); the browser has no process.
      new webpack.DefinePlugin({ process: { cwd: () => "/", env: {} } }),
      // Two copies of a JupyterLab, Lumino, CodeMirror, Yjs or React package in the bundle break
      // the app at run time (their tokens, classes and registries must be single): fail instead.
      new DuplicatePackageCheckerPlugin({ emitError: true, exclude: (m) => !SINGLETONS.test(m.name) }),
      new webpack.ProgressPlugin({ percentBy: "entries", activeModules: false, entries: false, modules: false, dependencies: false, handler: progress() }),
    ],
    performance: { hints: false },
    stats: "errors-warnings",
  },
  ...themeConfigs.map((c) => ({ ...c, stats: "errors-warnings" })),
];

/** Print a line every 10% instead of webpack's default carriage-return spinner. */
function progress() {
  let last = -1;
  return (fraction) => {
    const step = Math.floor(fraction * 10);
    if (step > last) {
      last = step;
      console.log(`webpack: ${step * 10}%`);
    }
  };
}
