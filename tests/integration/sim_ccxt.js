// sim_ccxt.js — a third-party Binance client (ccxt's binanceusdm, REST and
// ccxt.pro WebSocket) against pmm-exchange with only its URLs changed.
// Run by sim_ccxt.sh: node sim_ccxt.js <port>. Prints "N passed, N failed".
'use strict';
const ccxt = require('ccxt');

const port = process.argv[2];
const rest = 'http://127.0.0.1:' + port;
const ws = 'ws://127.0.0.1:' + port;
const SYM = 'BTC/USDT:USDT';
let pass = 0, fail = 0;

function rewrite(o) {
	for (const k of Object.keys(o)) {
		if (typeof o[k] === 'string')
			o[k] = o[k].replace('https://fapi.binance.com', rest)
			    .replace('wss://fstream.binance.com', ws);
		else if (o[k] && typeof o[k] === 'object')
			rewrite(o[k]);
	}
}

async function check(what, f, ok) {
	try {
		const r = await Promise.race([f(), new Promise((_, j) =>
		    setTimeout(() => j(new Error('timed out')), 20000))]);
		if (ok(r)) { pass++; console.log('ok   - ' + what); return r; }
		fail++; console.log('FAIL - ' + what + ': ' + JSON.stringify(r).slice(0, 300));
	} catch (e) {
		fail++; console.log('FAIL - ' + what + ': ' + e.constructor.name + ' ' + String(e.message).slice(0, 300));
	}
}

(async () => {
	const ex = new ccxt.pro.binanceusdm({
		apiKey: 'sN6AbwhpNOMIZyGKXiKQSg4ef53s06mcEy8L804XMv3Dmu7RXdZltBGuE7A6hWDd',
		secret: '1FIzcqSpHJPmSXb8TiRDtJqw9q5CIlANe1LhUdHhxLAmz1KZlmXGKD1CWnGLqa9N',
		options: { fetchMarkets: ['linear'], fetchCurrencies: false },
	});
	rewrite(ex.urls.api);
	await ex.loadHttpProxyAgent();	// ccxt needs it for plain ws://
	await check('loadMarkets', async () => Object.keys(await ex.loadMarkets()),
	    r => r.includes(SYM));
	await check('fetchTime', () => ex.fetchTime(), r => Math.abs(r - Date.now()) < 10000);
	const ob = await check('fetchOrderBook', () => ex.fetchOrderBook(SYM, 5),
	    r => r.bids.length > 0 && r.asks.length > 0 && r.bids[0][0] < r.asks[0][0]);
	await check('fetchBalance', () => ex.fetchBalance(), r => r.USDT && r.USDT.total > 0);
	await check('setLeverage', () => ex.setLeverage(10, SYM), r => r.leverage === 10);
	const px = Math.round((ob ? ob.bids[0][0] : 60000) * 0.97 * 10) / 10;
	const watch = ex.watchOrders(SYM);
	await new Promise(r => setTimeout(r, 1000));
	const o = await check('createOrder limit', () => ex.createOrder(SYM, 'limit', 'buy', 0.01, px),
	    r => r.id && r.status === 'open');
	await check('watchOrders sees it', () => watch, r => r.some(x => o && x.id === o.id));
	await check('fetchOpenOrders', () => ex.fetchOpenOrders(SYM), r => r.some(x => o && x.id === o.id));
	await check('fetchOrder', () => ex.fetchOrder(o.id, SYM), r => r.status === 'open');
	await check('cancelOrder', () => ex.cancelOrder(o.id, SYM), r => r.status === 'canceled');
	await check('createOrders (batch)', () => ex.createOrders([
	    { symbol: SYM, type: 'limit', side: 'buy', amount: 0.01, price: px },
	    { symbol: SYM, type: 'limit', side: 'buy', amount: 0.01, price: px - 10 }]),
	    r => r.length === 2 && r.every(x => x.status === 'open'));
	await check('cancelAllOrders', () => ex.cancelAllOrders(SYM), r => Array.isArray(r));
	await check('market order fills', () => ex.createOrder(SYM, 'market', 'buy', 0.01),
	    r => r.status === 'closed' && r.filled === 0.01);
	await check('fetchPositions', () => ex.fetchPositions([SYM]),
	    r => r.length === 1 && r[0].contracts === 0.01 && r[0].side === 'long');
	await check('watchBidsAsks', () => ex.watchBidsAsks([SYM]), r => r[SYM] && r[SYM].bid > 0);
	await check('watchTrades', () => ex.watchTrades(SYM), r => r.length > 0);
	await check('watchOrderBook (snapshot + diffs)', () => ex.watchOrderBook(SYM),
	    r => r.bids.length > 0 && r.asks.length > 0 && r.bids[0][0] < r.asks[0][0]);
	await ex.close();
	console.log(pass + ' passed, ' + fail + ' failed');
	process.exit(fail ? 1 : 0);
})();
