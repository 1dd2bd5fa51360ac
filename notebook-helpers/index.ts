// What the notebooks use besides the model: plots that work offline, GPT-2's tokens, real or
// stand-in weights for the first layer (or the whole model), every layer's attention patterns, the
// embedding step, and timing. The model itself is in lib/; what judges a learner is in checks/.
export { displayBundle, canDisplayRich } from "./display";
export type { Bundle } from "./display";
export { loadPlotly, show, showHtml, showNotice, printMatrix, heatmap, bars, figureHtml, plotlyScriptHtml, plotlyVersion, encodePng, DIVERGING, SEQUENTIAL, SERIES_COLORS, MASK_COLOR, niceTicks, textWidth } from "./plot";
export type { Figure, HeatmapOptions, HeatmapPanel, BarOptions, BarSeries, AxisSpec, ReferenceLine } from "./plot";
export { tokenize, encode, detokenize, visibleToken, END_OF_TEXT } from "./tokens";
export type { Tokens } from "./tokens";
export { embed, rowsOf } from "./embed";
export { loadLayer0Weights, loadRealLayer0, standInLayer0, findWeightsFile, weightsInUseText, showWeightsInUse, WEIGHTS_ENV, STAND_IN, DEFAULT_WEIGHTS_PATH, LAYER0_TENSORS } from "./weights";
export type { Layer0Weights } from "./weights";
export { loadModel, showModelInUse, MODEL_STAND_IN } from "./model";
export type { LoadedModel } from "./model";
export { attentionPatterns, forwardWithAttention, blockWithWeights, entropyBits, meanEntropyBits, uniformEntropyBits, futureMask } from "./patterns";
export type { AttentionPatterns } from "./patterns";
export { timeCombinedVsSeparate } from "./timing";
export type { TimingResult, TimingRow } from "./timing";
export { FINALE_STEPS, STEPS, weightsLabel, findYourClass, findYourClasses, plugLayers, withLayers, trialRun, chooseLayers, blockPlans, planRows, planTable, chosenTable, nextTokens, compareNextTokens, describeComparison, tokenLabels, nextTokenFigure, streamText, describeSameTokens } from "./finale";
export type { Step, LayerClass, StepInfo, FoundClass, BlockPlan, Plugged, ChosenLayer, Use, NextTokens, NextTokenComparison } from "./finale";
