/*
 * Payment traces: Stripe live secret keys, crypto-currency addresses written next to a payment
 * word, and PayPal account e-mail addresses in settings, notes or PayPal button URLs. The
 * payments plugin validates every address checksum; these rules only point it at the file.
 */

rule payment_stripe_live_key : payment
{
    meta:
        author = "isop-workbench"
        description = "Stripe live secret (sk_live_) or restricted (rk_live_) API key"
        date = "2026-11-28"
        version = "1"
        artefact = "payment.key"
    strings:
        $secret_key = /sk_live_[0-9A-Za-z]{20,99}/
        $restricted_key = /rk_live_[0-9A-Za-z]{20,99}/
    condition:
        any of them
}

rule payment_crypto_address_near_payment_word : payment
{
    meta:
        author = "isop-workbench"
        description = "Bitcoin, Ethereum/ERC-20, TRON/TRC-20 or Monero address shape written after a payment word on the same line"
        date = "2026-11-28"
        version = "1"
        artefact = "payment.wallet"
    strings:
        $bitcoin = /(bitcoin|Bitcoin|BITCOIN|wallet|Wallet|WALLET|BTC |BTC:|BTC=|payment|Payment|donate|Donate)[^\r\n]{0,40}(bc1[02-9ac-hj-np-z]{11,71}|[13][1-9A-HJ-NP-Za-km-z]{25,34})/
        $ethereum = /(ethereum|Ethereum|ETHEREUM|ERC20|ERC-20|USDT|wallet|Wallet|ETH: |ETH =|payment|Payment)[^\r\n]{0,40}0x[0-9a-fA-F]{40}/
        $tron = /(TRC20|TRC-20|USDT|Tron|TRON|tron:)[^\r\n]{0,40}T[1-9A-HJ-NP-Za-km-z]{33}/
        $monero = /(monero|Monero|MONERO|XMR: |XMR =|XMR address)[^\r\n]{0,40}[48][1-9A-HJ-NP-Za-km-z]{94}/
    condition:
        any of them
}

rule payment_paypal_email : payment
{
    meta:
        author = "isop-workbench"
        description = "E-mail address in a PayPal setting, next to the word PayPal, or as business= of a PayPal URL"
        date = "2026-11-28"
        version = "1"
        artefact = "payment.account"
    strings:
        $setting = /paypal[a-z_.-]{0,30}['"]?[ \t]{0,3}(=>|=|:)[ \t]{0,3}['"]?[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}\.[a-z0-9.-]{2,63}/ nocase
        $nearby = /paypal[^\r\n@]{0,40}[ :(][a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}\.[a-z]{2,24}/ nocase
        $button = /paypal\.com\/cgi-bin\/webscr\?[^ \t\r\n"'<>]{0,200}business=/ nocase
    condition:
        any of them
}
